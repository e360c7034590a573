"""The peer-bench report as one self-contained HTML page (inline SVG, no scripts).

Input: the report dict scripts/peer_bench.py writes as peer-bench.json.
"""
import html
import math

COLORS = {"cacheopt": "#1f77b4", "llama-server": "#d62728"}
W, H = 420, 260
ML, MR, MT, MB = 56, 12, 28, 40


def _fmt(v, digits=3):
    if v is None:
        return "-"
    if isinstance(v, float):
        if v == 0 or math.isfinite(v) and abs(v) >= 100:
            return f"{v:.0f}" if abs(v) >= 100 else "0"
        return f"{v:.{digits}g}"
    return str(v)


def _ticks(lo, hi, n=5):
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    t = math.floor(lo / step) * step
    out = []
    while t <= hi + step * 1e-9:
        out.append(round(t, 10))
        t += step
    return out


def line_chart(title, y_label, series, y_min=None, y_max=None, hlines=()):
    """series: {name: [(x, y), ...]}; returns an <svg> string."""
    pts = [p for s in series.values() for p in s if p[1] is not None]
    if not pts:
        return f"<p>{html.escape(title)}: no data</p>"
    x_lo = 0.0
    x_hi = max(p[0] for p in pts)
    y_lo = y_min if y_min is not None else min(0.0, min(p[1] for p in pts))
    y_hi = y_max if y_max is not None else max(p[1] for p in pts) * 1.05 or 1.0
    xt, yt = _ticks(x_lo, x_hi), _ticks(y_lo, y_hi)
    x_hi, y_hi = max(x_hi, xt[-1]), max(y_hi, yt[-1])

    def sx(x):
        return ML + (x - x_lo) / (x_hi - x_lo or 1) * (W - ML - MR)

    def sy(y):
        return H - MB - (y - y_lo) / (y_hi - y_lo or 1) * (H - MT - MB)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-size="11" '
           f'font-family="sans-serif">',
           f'<text x="{W / 2}" y="16" text-anchor="middle" font-weight="bold">{html.escape(title)}</text>']
    for t in xt:
        out.append(f'<line x1="{sx(t):.1f}" y1="{MT}" x2="{sx(t):.1f}" y2="{H - MB}" stroke="#eee"/>'
                   f'<text x="{sx(t):.1f}" y="{H - MB + 14}" text-anchor="middle">{_fmt(float(t))}</text>')
    for t in yt:
        out.append(f'<line x1="{ML}" y1="{sy(t):.1f}" x2="{W - MR}" y2="{sy(t):.1f}" stroke="#eee"/>'
                   f'<text x="{ML - 4}" y="{sy(t) + 4:.1f}" text-anchor="end">{_fmt(float(t))}</text>')
    for y, label in hlines:
        out.append(f'<line x1="{ML}" y1="{sy(y):.1f}" x2="{W - MR}" y2="{sy(y):.1f}" stroke="#888" '
                   f'stroke-dasharray="4 3"/><text x="{W - MR - 2}" y="{sy(y) - 3:.1f}" text-anchor="end" '
                   f'fill="#666">{html.escape(label)}</text>')
    out.append(f'<line x1="{ML}" y1="{H - MB}" x2="{W - MR}" y2="{H - MB}" stroke="black"/>'
               f'<line x1="{ML}" y1="{MT}" x2="{ML}" y2="{H - MB}" stroke="black"/>'
               f'<text x="{(ML + W - MR) / 2}" y="{H - 6}" text-anchor="middle">offered rate (req/s)</text>'
               f'<text transform="translate(12 {(MT + H - MB) / 2}) rotate(-90)" text-anchor="middle">'
               f'{html.escape(y_label)}</text>')
    legend_y = MT + 4
    for name, s in series.items():
        color = COLORS.get(name, "#2ca02c")
        s = [p for p in s if p[1] is not None]
        if s:
            path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in s)
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.8" points="{path}"/>')
            out.extend(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="{color}"/>' for x, y in s)
        out.append(f'<rect x="{ML + 8}" y="{legend_y}" width="10" height="3" fill="{color}"/>'
                   f'<text x="{ML + 22}" y="{legend_y + 5}">{html.escape(name)}</text>')
        legend_y += 14
    out.append("</svg>")
    return "".join(out)


def _capacity_text(cap):
    if cap is None:
        return "-"
    if cap["below_range"]:
        return f"&lt; {_fmt(cap['lowest_rate_rps'])} (fails at the lowest rate)"
    text = _fmt(cap["capacity_rps"])
    if cap["above_range"]:
        text = f"&ge; {text} (passes at every rate run)"
    else:
        text += f" (fails at {_fmt(cap['first_fail_rps'])})"
    return text


def _model_section(name, m, slos, hint):
    servers = m["servers"]
    out = [f"<h2>Model {html.escape(name)}</h2>",
           f"<p>{html.escape(m.get('model_description', ''))}</p>",
           "<h3>SLO capacity (req/s)</h3><table><tr><th>TBT SLO</th>"]
    out += [f"<th>{html.escape(s)}</th>" for s in servers]
    out.append("<th>cacheopt / llama-server</th></tr>")
    for slo in slos:
        out.append(f"<tr><td>{slo} ms</td>")
        out += [f"<td>{_capacity_text(servers[s]['capacity'].get(slo))}</td>" for s in servers]
        out.append(f"<td>{_fmt(m['capacity_ratio'].get(slo))}</td></tr>")
    out.append("</table>")

    out.append("<h3>Overload: SLO goodput at 1.25x the server's own capacity / its peak SLO goodput</h3>"
               "<table><tr><th>TBT SLO</th>")
    out += [f"<th>{html.escape(s)}</th>" for s in servers]
    out.append("</tr>")
    for slo in slos:
        out.append(f"<tr><td>{slo} ms</td>")
        for s in servers:
            o = servers[s]["overload"].get(slo)
            if o is None or o.get("ratio") is None:
                out.append(f"<td>{html.escape((o or {}).get('note', '-'))}</td>")
            else:
                out.append(f"<td>{_fmt(o['ratio'])} ({_fmt(o['goodput_rps'])} at {_fmt(o['rate_rps'])} req/s; "
                           f"peak {_fmt(o['peak_goodput_rps'])} at {_fmt(o['peak_rate_rps'])})</td>")
        out.append("</tr>")
    out.append("</table>")

    def series(metric, slo, judged=True):
        """Each server's runs whose requests carried `slo` (or no SLO the server reads)."""
        res = {}
        for s, srv in servers.items():
            pts = []
            for run in srv["runs"]:
                told = run.get("told_tbt_slo_ms")
                if told is not None and str(told) != slo and hint == "judged":
                    continue
                v = run["slo"][slo][metric] if judged else run[metric]
                pts.append((run["rate_rps"], v * 100 if metric.endswith("attainment") else v))
            res[s] = pts
        return res

    for slo in slos:
        told = " (cacheopt's requests carry it)" if hint == "judged" else ""
        out.append(f"<h3>Against offered rate, TBT SLO {slo} ms{told}</h3><div class='charts'>")
        out.append(line_chart(f"Both SLOs met (TBT {slo} ms)", "% of requests", series("both_attainment", slo),
                              0, 100))
        out.append(line_chart(f"Token gaps within TBT {slo} ms", "% of gaps", series("tbt_token_attainment", slo),
                              0, 100, [(90, "90%")]))
        out.append(line_chart("TTFT attainment (1 s)", "% of requests", series("ttft_attainment", slo), 0, 100,
                              [(90, "90%")]))
        out.append(line_chart(f"SLO goodput (TBT {slo} ms)", "req/s", series("slo_goodput_rps", slo)))
        out.append(line_chart("Served throughput", "req/s", series("served_rps", slo, False)))
        for metric, title in (("p95_ttft_ms", "p95 TTFT"), ("p99_ttft_ms", "p99 TTFT"),
                              ("p95_itl_ms", "p95 ITL"), ("p99_itl_ms", "p99 ITL")):
            out.append(line_chart(title, "ms", series(metric, slo, False)))
        out.append("</div>")

    out.append("<h3>Every run</h3><table><tr><th>server</th><th>TBT SLO sent</th><th>offered req/s</th><th>served req/s</th>"
               "<th>failed</th><th>p95 / p99 TTFT ms</th><th>p95 / p99 ITL ms</th>")
    out += [f"<th>TBT {slo}: both SLOs / gaps / goodput</th>" for slo in slos]
    out.append("</tr>")
    for s, srv in servers.items():
        for run in srv["runs"]:
            out.append(f"<tr><td>{html.escape(s)}</td><td>{_fmt(run.get('told_tbt_slo_ms'))}</td>"
                       f"<td>{_fmt(run['rate_rps'])}</td><td>{_fmt(run['served_rps'])}</td>"
                       f"<td>{run['failed']}</td><td>{_fmt(run['p95_ttft_ms'])} / {_fmt(run['p99_ttft_ms'])}</td>"
                       f"<td>{_fmt(run['p95_itl_ms'])} / {_fmt(run['p99_itl_ms'])}</td>")
            for slo in slos:
                j = run["slo"][slo]
                mark = " &#10003;" if j["passes"] else ""
                out.append(f"<td>{j['both_attainment'] * 100:.0f}% / {j['tbt_token_attainment'] * 100:.0f}% / "
                           f"{_fmt(j['slo_goodput_rps'])}{mark}</td>")
            out.append("</tr>")
    out.append("</table><p>&#10003;: the run passes the capacity criterion at that SLO.</p>")
    return "".join(out)


def render(report):
    setup = report["setup"]
    slos = [str(s) for s in setup["tbt_slos_ms"]]
    head = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>peer-bench: cacheopt vs llama-server</title>"
            "<style>body{font-family:sans-serif;max-width:1350px;margin:1em auto;padding:0 1em}"
            "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 7px;"
            "font-size:13px;text-align:left}.charts{display:flex;flex-wrap:wrap;gap:6px}"
            "pre{background:#f6f6f6;padding:6px;white-space:pre-wrap;font-size:12px}</style></head><body>")
    body = ["<h1>peer-bench: cacheopt serve vs llama.cpp llama-server</h1>"]
    if setup.get("quick"):
        body.append("<p><b>Quick mode</b>: tiny settings for tests; the numbers mean nothing.</p>")
    body.append(f"<p>{html.escape(report['date'])} on {html.escape(setup['host'])}. "
                f"{html.escape(setup['workload'])}</p>")
    body.append(f"<p><b>Capacity criterion</b>: {html.escape(setup['capacity_criterion'])}</p>")
    body.append(f"<p><b>llama-server slots and context</b>: {html.escape(setup['llama_server_choice'])}</p>")
    body.append("<p><b>Commands</b> (MODEL and PORT per run):</p><pre>")
    for name, cmd in setup["server_commands"].items():
        body.append(html.escape(f"{name}: {cmd}") + "\n")
    body.append(html.escape(f"client: {setup['client_command']}") + "</pre>")
    body.append(f"<p>{html.escape(setup['pinning'])}</p>")
    for name, m in report["models"].items():
        body.append(_model_section(name, m, slos, setup.get("slo_hint", "judged")))
    return head + "".join(body) + "</body></html>\n"


def render_markdown(report):
    """summary.md: the capacity table and, per model and SLO, issue 18's per-rate table, ready to paste."""
    setup = report["setup"]
    slos = [str(s) for s in setup["tbt_slos_ms"]]
    lines = [f"peer-bench {report['date']}, {setup['host']}{' (QUICK: meaningless)' if setup.get('quick') else ''}",
             "", "| model | TBT SLO | cacheopt capacity (req/s) | llama-server capacity (req/s) | ratio | "
             "cacheopt goodput at 1.25x cap / peak | llama-server goodput at 1.25x cap / peak |",
             "|---|---|---|---|---|---|---|"]

    def cap(srv, slo):
        if srv is None:
            return "-"
        c = srv["capacity"][slo]
        if c["below_range"]:
            return f"< {_fmt(c['lowest_rate_rps'])}"
        return (">= " if c["above_range"] else "") + _fmt(c["capacity_rps"])

    def over(srv, slo):
        o = srv["overload"][slo] if srv else None
        return "-" if o is None or o.get("ratio") is None else f"{o['ratio']:.2f}"

    for name, m in report["models"].items():
        ours, theirs = m["servers"].get("cacheopt"), m["servers"].get("llama-server")
        for slo in slos:
            lines.append(f"| {name} | {slo} ms | {cap(ours, slo)} | {cap(theirs, slo)} | "
                         f"{_fmt(m['capacity_ratio'].get(slo))} | {over(ours, slo)} | {over(theirs, slo)} |")
    for name, m in report["models"].items():
        for slo in slos:
            lines += ["", f"{name}, TBT SLO {slo} ms: both SLOs met / p95 ITL / served req/s", "",
                      "| rate (req/s) | " + " | ".join(m["servers"]) + " |", "|---" * (len(m["servers"]) + 1) + "|"]
            cells = {}
            for s, srv in m["servers"].items():
                for run in srv["runs"]:
                    told = run.get("told_tbt_slo_ms")
                    if told is not None and str(told) != slo and setup.get("slo_hint", "judged") == "judged":
                        continue
                    j = run["slo"][slo]
                    cells.setdefault(run["rate_rps"], {})[s] = (
                        f"{j['both_attainment'] * 100:.0f}% / {run['p95_itl_ms']:.3g} ms / {run['served_rps']:.3g}")
            for rate in sorted(cells):
                lines.append(f"| {_fmt(rate)} | " + " | ".join(cells[rate].get(s, "-") for s in m["servers"]) + " |")
    return "\n".join(lines) + "\n"
