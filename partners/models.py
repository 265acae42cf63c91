"""Models of this stage of the loop; see DESIGN.md §3."""
