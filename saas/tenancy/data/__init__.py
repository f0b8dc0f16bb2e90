"""Data the tenancy layer ships: the six cities' kelurahan lists (kelurahan.json) and the script that builds it."""
