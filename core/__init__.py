"""Digit Lens analysis package: data, preprocessing, models, artifacts, evaluation.

Plain Python, numpy, pandas and scikit-learn; the dashboard draws what this
package computes and stores.
"""

__version__ = "0.1.0"
