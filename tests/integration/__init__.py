"""Tests across layers: the Flask app, HTTP endpoints, jobs and storage on both backends."""
