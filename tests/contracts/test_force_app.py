"""force-app/ is the rendered default configuration; it must not drift."""

from tasks.totango_sf.config.model import build_config
from tasks.totango_sf.render.plan import build_plan, package_files
from tests.support.paths import REPO_ROOT

REGENERATE = (
    "force-app/ drifted from the templates. Regenerate it with:\n"
    "  totango-sf plan --config /dev/null --format source --out build/src"
    " && rm -rf force-app && cp -r build/src/package/force-app ."
)


def test_force_app_matches_the_rendered_default_config():
    expected = package_files(build_plan(build_config({})).components, "63.0", "source")
    root = REPO_ROOT / "force-app"
    actual = {str(p.relative_to(REPO_ROOT)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert sorted(actual) == sorted(expected), REGENERATE
    for path, data in expected.items():
        assert actual[path] == data, f"{path}: {REGENERATE}"
