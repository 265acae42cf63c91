def tenancy(request) -> dict:
    membership = getattr(request, "membership", None)
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": membership,
        "user_memberships": getattr(request, "memberships", []),
        "is_manager": bool(membership and membership.is_staff_role),
        "is_partner_user": bool(membership and membership.role == "partner"),
    }
