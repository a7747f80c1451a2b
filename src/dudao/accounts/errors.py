"""Errors of the accounts domain."""


class AccountError(Exception):
    """A user that cannot be created as asked; says why in both languages."""
