"""Screenshots of the built site in headless Chromium (Debian's): python docs/_screens/take.py.

Pages are opened from disk (file://), as a reader of a local build would; the site loads nothing
from the network, so nothing is missing.
"""

import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
HTML = HERE.parent / "_build" / "html"
PAGES = {
    "index.png": "index.html",
    "user_guide_momentum.png": "user_guide/momentum.html",
    "gallery_rosenbrock_paths.png": "auto_examples/plot_rosenbrock_paths.html",
    "api_adam.png": "api/generated/descend.optimizers.html#descend.optimizers.Adam",
}

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=[
        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    for name, target in PAGES.items():
        page.goto((HTML / target.split("#")[0]).as_uri() + ("#" + target.split("#")[1] if "#" in target else ""))
        page.wait_for_load_state("load")
        # MathJax typesets after load: wait for it where the page has math.
        page.wait_for_function("!window.MathJax || !MathJax.startup || MathJax.startup.promise"
                               " .then(() => true)", timeout=30_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(HERE / name))
        print(name)
    browser.close()
