"""The web dashboard in a real browser (headless Chromium through Selenium) against `mcpwatch demo`.

Every view is opened, its live data checked, and a screenshot saved to artifacts/screenshots/ (also in a narrow
window and in dark mode). The browser's console must stay free of errors on every view. Missing Chromium or
Selenium fails the test: it never skips.
"""
import base64
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import ROOT, free_port, wait_for

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError as error:  # pragma: no cover - reported as a failure below
    webdriver = None
    SELENIUM_ERROR = error

CHROMIUM = os.environ.get("MCPWATCH_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MCPWATCH_CHROMEDRIVER", "/usr/bin/chromedriver")
SHOTS = ROOT / "artifacts/screenshots"
DEMO_TOOLS = ("echo", "search", "calculate", "flaky_fetch")


def _require_browser():
    if webdriver is None:
        pytest.fail(f"selenium is not installed ({SELENIUM_ERROR}): pip install selenium (tested with 4.38.0)")
    for path, what in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromedriver")):
        if not (pathlib.Path(path).exists() or shutil.which(path)):
            pytest.fail(f"{what} not found at {path}: apt-get install chromium chromium-driver")


def _make_driver(width=1280, height=900, dark=False, extra_args=()):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                "--disable-gpu", "--hide-scrollbars", "--lang=en-US", *extra_args):
        options.add_argument(arg)
    if dark:
        options.add_argument("--force-dark-mode")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    if dark:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    return driver


@pytest.fixture(scope="module")
def demo(mcpwatch):
    port = free_port()
    # The files come from where a user's build puts them: the resource bundle beside the binary.
    env = {k: v for k, v in os.environ.items() if k != "MCPWATCH_DASHBOARD_DIR"}
    proc = subprocess.Popen([mcpwatch, "demo", "--listen", f"127.0.0.1:{port}"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        banner = proc.stdout.readline()
        assert banner.startswith("mcpwatch demo"), banner + proc.stderr.read()[-2000:]
        yield f"http://127.0.0.1:{port}/"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate(timeout=10)


@pytest.fixture(scope="module")
def browser():
    _require_browser()
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver = _make_driver()
    yield driver
    driver.quit()


def console_errors(driver):
    """The SEVERE entries of the browser console since the last call (reading the log clears it)."""
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def assert_no_console_errors(driver, where):
    errors = console_errors(driver)
    assert not errors, f"console errors on {where}: " + json.dumps(errors, indent=1)


def screenshot(driver, name):
    """A PNG of the whole page (beyond the viewport), through the DevTools protocol."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    width = driver.execute_script("return document.documentElement.clientWidth")
    height = min(int(size["height"]), 4000)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
    })
    path = SHOTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def text_of(driver, css):
    try:
        return driver.find_element(By.CSS_SELECTOR, css).text
    except (WebDriverException, StaleElementReferenceException):
        return ""


def canvas_data(driver, element_id):
    return driver.execute_script(f"return document.getElementById({json.dumps(element_id)}).toDataURL()")


def open_view(driver, base, hash_):
    if driver.current_url.startswith(base):
        driver.execute_script("location.hash = arguments[0]", hash_)
    else:
        driver.get(base + hash_)


def wait_live(driver):
    wait_for(lambda: driver.find_element(By.ID, "live-indicator").get_attribute("data-state") == "live",
             timeout=30, interval=0.2, what="the live indicator to say live")
    assert "live" in driver.find_element(By.ID, "live-indicator").text.lower()


def tool_calls(driver):
    rows = {}
    for row in driver.find_elements(By.CSS_SELECTOR, "#tools-table tbody tr[data-tool]"):
        try:
            if row.get_attribute("data-method") != "tools/call":
                continue
            cell = row.find_element(By.CSS_SELECTOR, "td.calls").text
            rows[row.get_attribute("data-tool")] = int(re.sub(r"[^0-9]", "", cell) or 0)
        except (StaleElementReferenceException, ValueError):
            pass
    return rows


def test_overview_loads_live_and_updates(demo, browser):
    browser.get(demo + "#/overview")
    assert "mcpwatch" in browser.title
    wait_live(browser)
    wait_for(lambda: text_of(browser, "#server-name") == "mcpwatch-demo", timeout=15, what="the server's name in the top bar")
    # Beside it, the client and the protocol version, as the report has them.
    import urllib.request
    with urllib.request.urlopen(demo + "api/report", timeout=5) as response:
        session = json.load(response)["session"]
    expected = f"client {session['client']['name']} {session['client']['version']} · MCP {session['protocol_version']}"
    wait_for(lambda: text_of(browser, "#peer-info") == expected, timeout=15, what=f"{expected!r} in the top bar")
    wait_for(lambda: text_of(browser, "#card-calls-per-second .value") not in ("", "–"), timeout=20, what="calls/s")
    cards = {c: text_of(browser, f"#{c} .value") for c in ("card-calls-per-second", "card-uptime", "card-p95")}
    chart = canvas_data(browser, "chart-throughput")
    wait_for(lambda: text_of(browser, "#card-uptime .value") != cards["card-uptime"], timeout=20, what="the uptime card to change")
    wait_for(lambda: canvas_data(browser, "chart-throughput") != chart, timeout=20, what="the throughput chart to change")
    wait_for(lambda: any(text_of(browser, f"#{c} .value") != v for c, v in cards.items() if c != "card-uptime"),
             timeout=30, interval=0.5, what="a traffic card to change")
    for card in ("card-success-rate", "card-p50", "card-p99", "card-in-flight", "card-errors", "card-health"):
        assert text_of(browser, f"#{card} .value") not in ("",), card
    wait_for(lambda: text_of(browser, "#card-server-memory .value") not in ("", "–"), timeout=20, what="the server's memory card")
    # The range selector reloads the history and keeps the page healthy.
    browser.find_element(By.CSS_SELECTOR, '#overview-range button[data-range="900"]').click()
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, '#overview-range button[data-range="900"]').get_attribute("aria-pressed") == "true",
             timeout=5, what="the 15 min range")
    browser.find_element(By.CSS_SELECTOR, '#overview-range button[data-range="300"]').click()
    assert browser.find_element(By.ID, "overview-note").get_attribute("hidden") is not None, text_of(browser, "#overview-note")
    screenshot(browser, "overview")
    assert_no_console_errors(browser, "overview")


def test_tools_table_lists_demo_tools_with_growing_counts(demo, browser):
    open_view(browser, demo, "#/tools")
    first = wait_for(lambda: (lambda t: t if set(DEMO_TOOLS) <= t.keys() else None)(tool_calls(browser)),
                     timeout=30, interval=0.3, what="the demo's tools in the table")
    wait_for(lambda: (lambda t: t["echo"] > first["echo"] and t["search"] > first["search"])(tool_calls(browser)),
             timeout=30, interval=0.3, what="the counts to grow")
    # Badges for the slowest and the most error-prone tool.
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#tools-table .tag.slow:not([hidden])"), timeout=20, what="the slowest badge")
    # Sorting by a header, and filtering.
    header = browser.find_element(By.CSS_SELECTOR, '#tools-table th[data-sort="name"]')
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    names = [r.get_attribute("data-tool") for r in browser.find_elements(By.CSS_SELECTOR, "#tools-table tbody tr")]
    assert names == sorted(names, key=str.lower), names
    browser.find_element(By.CSS_SELECTOR, '#tools-table th[data-sort="calls"]').click()
    box = browser.find_element(By.ID, "tools-filter")
    box.send_keys("flaky")
    wait_for(lambda: [r.get_attribute("data-tool") for r in browser.find_elements(By.CSS_SELECTOR, "#tools-table tbody tr") if r.is_displayed()] == ["flaky_fetch"],
             timeout=5, what="the filter to keep only flaky_fetch")
    box.clear()
    box.send_keys(" ")
    box.clear()
    browser.execute_script("const b = document.getElementById('tools-filter'); b.value = ''; b.dispatchEvent(new Event('input'));")
    # The sparkline has drawn something after a few updates.
    wait_for(lambda: browser.execute_script(
        "const c = document.querySelector('#tools-table tr[data-tool=\"echo\"] td.spark canvas');"
        "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "for (let i = 3; i < d.length; i += 4) if (d[i]) return true; return false;"), timeout=20, what="echo's sparkline")
    screenshot(browser, "tools")
    assert_no_console_errors(browser, "tools")


def test_tool_detail_shows_distribution_series_and_errors(demo, browser):
    open_view(browser, demo, "#/tools")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, '#tools-table tr[data-tool="flaky_fetch"][data-method="tools/call"]'), timeout=20, what="flaky_fetch's row")
    browser.find_element(By.CSS_SELECTOR, '#tools-table tr[data-tool="flaky_fetch"][data-method="tools/call"]').click()
    wait_for(lambda: "#/tools/tools%2Fcall/flaky_fetch" in browser.current_url, timeout=5, what="the detail route")
    wait_for(lambda: text_of(browser, "#tool-title") == "flaky_fetch", timeout=10, what="the detail's title")
    wait_for(lambda: text_of(browser, "#tool-card-calls .value") not in ("", "–"), timeout=15, what="the detail's cards")
    wait_for(lambda: "timed out" in text_of(browser, "#tool-last-error"), timeout=60, interval=0.5, what="flaky_fetch's last error")
    assert browser.find_element(By.ID, "tool-error").get_attribute("hidden") is not None, text_of(browser, "#tool-error")
    screenshot(browser, "tool-detail")
    assert_no_console_errors(browser, "tool detail")


def test_explorer_validates_calls_a_tool_and_lists_the_call(demo, browser):
    open_view(browser, demo, "#/explorer")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, '#explorer-tool-list button[data-tool="echo"]'), timeout=30, interval=0.3,
             what="the explorer's tool list")
    listed = {b.get_attribute("data-tool") for b in browser.find_elements(By.CSS_SELECTOR, "#explorer-tool-list button")}
    assert set(DEMO_TOOLS) <= listed, listed
    # A form with nested fields: search has an integer with bounds, an object with an enum and an array.
    browser.find_element(By.CSS_SELECTOR, '#explorer-tool-list button[data-tool="search"]').click()
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, '#explorer-fields input[name="query"]'), timeout=5, what="search's form")
    assert browser.find_element(By.CSS_SELECTOR, '#explorer-fields input[name="limit"]').get_attribute("value") == "5"
    assert browser.find_elements(By.CSS_SELECTOR, '#explorer-fields select[name="filters.language"]')
    limit = browser.find_element(By.CSS_SELECTOR, '#explorer-fields input[name="limit"]')
    limit.clear()
    limit.send_keys("500")
    browser.find_element(By.ID, "explorer-submit").click()
    wait_for(lambda: "Required" in text_of(browser, '#explorer-fields [data-path="query"] .field-msg'), timeout=5, what="the required message")
    assert "at most 50" in text_of(browser, '#explorer-fields [data-path="limit"] .field-msg')
    browser.find_element(By.CSS_SELECTOR, '#explorer-fields [data-path="filters.tags"] button').click()
    screenshot(browser, "explorer-validation")
    # echo: fill, submit, see the text come back (escaped: markup stays text).
    browser.find_element(By.CSS_SELECTOR, '#explorer-tool-list button[data-tool="echo"]').click()
    field = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, '#explorer-fields input[name="text"]'), timeout=5, what="echo's form")[0]
    message = "hello from the dashboard <b>not bold</b> & more"
    field.send_keys(message)
    browser.find_element(By.ID, "explorer-submit").click()
    wait_for(lambda: message in text_of(browser, "#explorer-result"), timeout=20, interval=0.2, what="echo's result")
    assert not browser.find_elements(By.CSS_SELECTOR, "#explorer-result b")
    assert text_of(browser, "#explorer-outcome") == "ok"
    wait_for(lambda: "echo" in text_of(browser, "#explorer-history"), timeout=10, what="the call in the explorer's history")
    screenshot(browser, "explorer")
    # The JSON toggle shows the arguments as JSON.
    browser.find_element(By.ID, "explorer-json-toggle").click()
    assert json.loads(browser.find_element(By.ID, "explorer-json").get_attribute("value")) == {"text": message}
    browser.find_element(By.ID, "explorer-json-toggle").click()
    assert_no_console_errors(browser, "explorer")


def test_alerts_view_shows_a_firing_alert(demo, browser):
    open_view(browser, demo, "#/alerts")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, '#alerts-active li[data-state="firing"]'), timeout=90, interval=1,
             what="a firing alert in the alerts view")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#alerts-history li"), timeout=10, what="the alert history")
    text = text_of(browser, "#alerts-active")
    assert any(rule in text for rule in ("tool_latency_p95", "tool_success_rate", "error_rate")), text
    wait_for(lambda: text_of(browser, "#nav-alerts-count").strip().isdigit(), timeout=10, what="the alert count in the navigation")
    screenshot(browser, "alerts")
    assert_no_console_errors(browser, "alerts")
    # A minute or more of traffic by now: the overview's screenshot again, with its charts filled.
    open_view(browser, demo, "#/overview")
    wait_for(lambda: text_of(browser, "#card-calls-per-second .value") not in ("", "–"), timeout=20, what="calls/s")
    time.sleep(1)
    screenshot(browser, "overview")
    assert_no_console_errors(browser, "overview, after a minute")


def test_system_and_report_views(demo, browser):
    open_view(browser, demo, "#/system")
    wait_for(lambda: "running" in text_of(browser, "#system-server"), timeout=20, what="the server process figures")
    wait_for(lambda: "load" in text_of(browser, "#system-host"), timeout=10, what="the host figures")
    screenshot(browser, "system")
    assert_no_console_errors(browser, "system")

    open_view(browser, demo, "#/report")
    wait_for(lambda: '"schema_version"' in text_of(browser, "#report-json"), timeout=15, what="the report's JSON")
    report = json.loads(browser.find_element(By.ID, "report-json").get_attribute("textContent"))
    assert report["server_name"] == "mcpwatch-demo"
    browser.find_element(By.ID, "report-refresh").click()
    screenshot(browser, "report")
    assert_no_console_errors(browser, "report")


def test_resource_detail_and_hostile_names_stay_text(demo, browser):
    """A target whose name has ':' and '//' opens its detail; names are rendered as text, never as markup."""
    open_view(browser, demo, "#/tools/" + "resources%2Fread/" + "demo%3A%2F%2Freadme")
    wait_for(lambda: text_of(browser, "#tool-card-calls .value") not in ("", "–"), timeout=20, what="demo://readme's detail")
    assert text_of(browser, "#tool-title") == "demo://readme"
    assert browser.find_element(By.ID, "tool-error").get_attribute("hidden") is not None, text_of(browser, "#tool-error")
    open_view(browser, demo, "#/tools/tools%2Fcall/" + "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    wait_for(lambda: text_of(browser, "#tool-title") == "<img src=x onerror=alert(1)>", timeout=10, what="the hostile title as text")
    wait_for(lambda: text_of(browser, "#tool-error") != "", timeout=10, what="the unknown tool's message")
    assert not browser.find_elements(By.CSS_SELECTOR, "#view-tool img")
    open_view(browser, demo, "#/tools")
    time.sleep(1)
    errors = [e for e in console_errors(browser) if "404" not in e.get("message", "")]
    assert not errors, json.dumps(errors, indent=1)  # the unknown tool's 404 is logged by the browser as a failed load


def test_falls_back_to_polling_when_the_stream_fails(demo):
    """With api/stream blocked, the page says reconnecting, then polls api/snapshot and keeps updating."""
    _require_browser()
    driver = _make_driver()
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*api/stream*"]})
        driver.get(demo + "#/overview")
        wait_for(lambda: driver.find_element(By.ID, "live-indicator").get_attribute("data-state") == "polling",
                 timeout=30, interval=0.2, what="the indicator to say polling")
        assert "polling" in driver.find_element(By.ID, "live-indicator").text.lower()
        first = text_of(driver, "#card-uptime .value")
        wait_for(lambda: text_of(driver, "#card-uptime .value") not in (first, "–"), timeout=15, what="updates while polling")
        open_view(driver, demo, "#/tools")
        wait_for(lambda: set(DEMO_TOOLS) <= tool_calls(driver).keys(), timeout=15, what="the tools table while polling")
        errors = [e for e in console_errors(driver) if "api/stream" not in e.get("message", "")]
        assert not errors, json.dumps(errors, indent=1)
    finally:
        driver.quit()


def test_every_view_in_a_narrow_window(demo, browser):
    browser.set_window_size(420, 900)
    try:
        for view in ("overview", "tools", "alerts", "explorer"):
            open_view(browser, demo, f"#/{view}")
            wait_for(lambda: browser.find_element(By.ID, f"view-{view}").is_displayed(), timeout=5, what=f"the {view} view")
            browser.execute_script("window.scrollTo(0, 0)")
            overflow = browser.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{view} scrolls sideways by {overflow} px in a narrow window"
            screenshot(browser, f"{view}-narrow")
        assert_no_console_errors(browser, "narrow views")
    finally:
        browser.set_window_size(1280, 900)


def test_dark_mode(demo):
    _require_browser()
    driver = _make_driver(dark=True)
    try:
        driver.get(demo + "#/overview")
        wait_live(driver)
        background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        channels = [int(x) for x in re.findall(r"\d+", background)[:3]]
        assert sum(channels) < 150, f"the page is not dark in dark mode: {background}"
        wait_for(lambda: text_of(driver, "#card-calls-per-second .value") not in ("", "–"), timeout=20, what="calls/s in dark mode")
        time.sleep(1.5)
        screenshot(driver, "overview-dark")
        for view in ("tools", "alerts", "explorer"):
            open_view(driver, demo, f"#/{view}")
            time.sleep(1.5)
            screenshot(driver, f"{view}-dark")
        assert_no_console_errors(driver, "dark mode")
    finally:
        driver.quit()


def _answers(url):
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def test_api_key_form(mcpwatch, tmp_path):
    """With API keys configured, the page asks for one in a form, says when it is wrong, and goes live with it."""
    _require_browser()
    keys = tmp_path / "keys.txt"
    keys.write_text("dashboard-key-4711\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "MCPWATCH_DASHBOARD_DIR"}
    proxy = subprocess.Popen([mcpwatch, "proxy", "--listen", f"127.0.0.1:{port}", "--api-key-file", str(keys), "--",
                              mcpwatch, "demo-server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    driver = None
    try:
        base = f"http://127.0.0.1:{port}/"
        wait_for(lambda: _answers(base), timeout=15, interval=0.2, what="the dashboard to answer")
        driver = _make_driver()
        driver.get(base + "#/overview")
        overlay = driver.find_element(By.ID, "auth-overlay")
        wait_for(overlay.is_displayed, timeout=15, what="the API key form")
        driver.find_element(By.ID, "auth-key").send_keys("wrong-key")
        driver.find_element(By.ID, "auth-submit").click()
        wait_for(lambda: "not accepted" in text_of(driver, "#auth-message"), timeout=15, what="the wrong key message")
        screenshot(driver, "api-key-form")
        assert overlay.is_displayed()
        driver.find_element(By.ID, "auth-key").send_keys("dashboard-key-4711")
        driver.find_element(By.ID, "auth-submit").click()
        wait_live(driver)
        assert not overlay.is_displayed()
        assert driver.execute_script("return sessionStorage.getItem('mcpwatch.apiKey')") == "dashboard-key-4711"
        open_view(driver, base, "#/report")
        wait_for(lambda: '"schema_version"' in text_of(driver, "#report-json"), timeout=15, what="the report with the key")
        screenshot(driver, "api-key-live")
        # The browser logs the rejected requests (401) as failed loads; nothing else may be there.
        errors = [e for e in console_errors(driver) if "401" not in e.get("message", "")]
        assert not errors, json.dumps(errors, indent=1)
    finally:
        if driver is not None:
            driver.quit()
        proxy.stdin.close()
        try:
            proxy.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proxy.kill()
            proxy.wait(10)
