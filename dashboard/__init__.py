"""Digit Lens dashboard: Streamlit pages drawing what ``core`` computed and stored."""
