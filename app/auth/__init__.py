"""Authentication and authorisation for the dashboards.

- ``accounts``: the flask-login user object and account operations (create, verify).
- ``throttle``: failed-login throttling backed by the ``login_attempts`` table, so it holds
  across processes.
- ``views``: the login and logout pages (a Flask blueprint, CSRF-protected form).
- ``guard``: deny-by-default request guard: every route but a short public list needs a
  logged-in user, ``/admin`` pages and admin callbacks need the admin role; and the CSRF
  cookie the Dash renderer echoes as the ``X-CSRFToken`` header.
"""

from app.auth.setup import init_auth

__all__ = ["init_auth"]
