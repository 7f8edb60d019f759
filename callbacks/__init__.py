"""Callbacks: one module per page. Each module has plain, unit-testable functions and a
``register(app, sessions)`` that wires them onto a given Dash app (never a global)."""
