"""Digit Lens dashboard entry point: ``streamlit run dashboard/streamlit_app.py``.

Sets up the page, opens the artifact folder (or offers to build it), draws the
shared sidebar and runs the page picked in the navigation.
"""

from __future__ import annotations

import streamlit as st

from dashboard import cache, components, registry, session
from dashboard.sections import build_panel, image_dialog

st.set_page_config(page_title="Digit Lens", page_icon=registry.DASHBOARD_DIR / "icon.png", layout="wide")

page = st.navigation(registry.st_pages())
if not components.served():
    st.error(components.NOT_SERVED)
status = cache.status()
if status.loaded is None:
    build_panel.render(status)
    st.stop()

loaded = status.loaded
st.session_state.setdefault(session.MODELS, list(loaded.multiclass))
st.session_state[session.MODELS] = session.selected_models(loaded.multiclass)

with st.sidebar:
    st.multiselect("Models", loaded.multiclass, key=session.MODELS, format_func=loaded.title,
                   help="The models every page compares. Binary detectors appear on the Models and Thresholds pages.")
    ds = loaded.artifacts.dataset
    st.caption(f"**{ds['id']}**: {ds['n_train']:,} train / {ds['n_test']:,} test images  \n"
               f"built {loaded.artifacts.manifest['created']}  \n`{status.root}`")

if loaded.warnings:
    st.warning("These artifacts were " + "; ".join(loaded.warnings) + ". Stored results are shown, but the "
               "models cannot be loaded safely (the Draw page needs them). Rebuild to refresh them.")
    with st.expander("Rebuild"):
        build_panel.build_form(status.root)

image_dialog.from_url(loaded)
page.run()
