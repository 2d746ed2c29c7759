"""The reference app of ``bench/browser.py``: one slider and one metric, nothing else.

Every dashboard interaction is reported as a ratio to this app's slider step,
timed in the same run, so the figures hold on a noisy machine.
"""

import streamlit as st

value = st.slider("Value", 0, 1000, 500, key="trivial")
st.metric("Value", value)
