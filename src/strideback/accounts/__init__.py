"""Accounts for clinic mode: admins, clinicians and runners, invites, throttled logins.

The single-user default (no login on 127.0.0.1) never touches this package.
"""
