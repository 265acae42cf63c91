"""The demo tenant's data: a realistic channel of DE/AT/CH partners with a year of history.

Generated from a fixed seed (Faker's German locales and `random.Random`), so every seed
run builds the same demo. Entry point: `leadrouter.demo.seed.demo_seed`.
"""
