"""Analyses of stored model outputs: metrics, thresholds, the map and neighbours, error views."""
