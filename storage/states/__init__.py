"""The states stored rows move through, one StrEnum module per domain.

Columns are typed with these enums while the database keeps the very same
strings (no migration): a loaded value is the plain string, which a
StrEnum member equals and formats as. So compare with `==` or `in`, never
`is`; mypy --strict then refuses a misspelt or foreign state when one is
assigned or passed.
"""
