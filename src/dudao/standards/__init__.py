"""Standards: every rule and figure of the policies, as data with source and confidence."""
