"""dashboard.components: every script is served by the app's own config and versioned by its content."""

from __future__ import annotations

import re
import tomllib


from dashboard import components


def test_every_component_script_is_served_by_the_apps_config_and_versioned_by_its_content(tmp_path, monkeypatch):
    root = components.STATIC.parent
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableStaticServing"] is True
    sources = "".join(path.read_text() for path in (root / "components").glob("*.py"))
    scripts = sorted(path.name for path in components.STATIC.glob("*.js"))
    assert scripts and all(f'script="{name}"' in sources for name in scripts), "every script has its component"
    url = re.search(r"'(app/static/[^']+)'", components.loader_module(scripts[0])).group(1)
    assert url.startswith(f"app/static/{scripts[0]}?v=")
    (tmp_path / scripts[0]).write_text((components.STATIC / scripts[0]).read_text() + "\n// changed\n")
    monkeypatch.setattr(components, "STATIC", tmp_path)
    assert re.search(r"'(app/static/[^']+)'", components.loader_module(scripts[0])).group(1) != url
