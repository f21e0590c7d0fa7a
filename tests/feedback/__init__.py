"""Tests of the coaching feedback."""
