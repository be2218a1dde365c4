"""Data shipped with the package: the team alias table (``aliases.csv``: team_name, alias)."""
