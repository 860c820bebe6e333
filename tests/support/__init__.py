"""Shared builders and fixtures for the test suite."""
