"""Helpers the test modules share (plain modules: conftest files hold only fixtures)."""
