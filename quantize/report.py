"""The comparison as Markdown, with two hand-drawn SVG plots: the KLD histogram and KLD per chunk."""

from __future__ import annotations

from pathlib import Path

from quantize.compare import TokenReport
from quantize.gates import Verdict


def _bars_svg(values: list[float], labels: list[str], title: str, width: int = 560, height: int = 200) -> str:
    top = max(values) if values and max(values) > 0 else 1.0
    bar_w = (width - 60) / max(len(values), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 40}" font-family="sans-serif" '
             f'font-size="10"><text x="{width / 2}" y="14" text-anchor="middle" font-size="12">{title}</text>']
    for i, (value, label) in enumerate(zip(values, labels)):
        h = (height - 30) * value / top
        x = 50 + i * bar_w
        parts.append(f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" '
                     f'fill="#4C72B0"><title>{label}: {value:.4g}</title></rect>')
        if len(values) <= 30 and (i % max(len(values) // 8, 1) == 0):
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height + 14}" text-anchor="middle">{label}</text>')
    parts.append(f'<text x="4" y="{40}">{top:.3g}</text><text x="4" y="{height}">0</text></svg>')
    return "".join(parts)


def _pct_label(key: str) -> str:
    return "median" if key == "50" else f"{float(key):g}%"


def token_tables(report: TokenReport) -> list[str]:
    """The figures of llama.cpp's `perplexity --kl-divergence`, with their errors, as Markdown."""
    s = report.stats
    kld, dp, top, ppl = s["kld"], s["dp"], s["same_top"], s["ppl"]
    lines = ["| KL divergence | value |", "|---|---|", f"| mean | {kld['mean']:.6f} ± {kld['error']:.6f} |",
             f"| maximum | {kld['max']:.6f} |"]
    lines += [f"| {_pct_label(k)} | {v:.6f} |" for k, v in kld["percentiles"].items()]
    lines += [f"| minimum | {kld['min']:.6f} |", f"| p99, 95% interval | {kld['p99_ci95'][0]:.4g} to {kld['p99_ci95'][1]:.4g} |",
              "", "| Δp of the correct token | value |", "|---|---|",
              f"| mean | {dp['mean']:.3%} ± {dp['error']:.3%} |", f"| maximum | {dp['max']:.3%} |"]
    lines += [f"| {_pct_label(k)} | {v:.3%} |" for k, v in dp["percentiles"].items()]
    lines += [f"| minimum | {dp['min']:.3%} |", f"| RMS Δp | {dp['rms']:.3%} ± {dp['rms_error']:.3%} |",
              f"| shape | {dp['shape']} |", "",
              "| agreement and perplexity | value |", "|---|---|",
              f"| same top token | {top['value']:.3%} ± {top['error']:.3%} (95%: {top['ci95'][0]:.2%} to {top['ci95'][1]:.2%}) |",
              f"| PPL reference | {ppl['reference']:.4f} ± {ppl['reference_error']:.4f} |",
              f"| PPL candidate | {ppl['candidate']:.4f} ± {ppl['candidate_error']:.4f} |",
              f"| correlation of ln PPL | {ppl['correlation']:.2%} |",
              f"| ln(PPL ratio) | {ppl['ln_ratio']:.6f} ± {ppl['ln_ratio_error']:.6f} |",
              f"| PPL ratio | {ppl['ratio']:.6f} ± {ppl['ratio_error']:.6f} |", ""]
    return lines


def parity_lines(task: dict) -> list[str]:
    """Task parity (ParityReport.to_dict()) as Markdown: flips with their interval and the paired test."""
    f = task["flips"]
    lines = ["## Task parity (greedy, coach's own prompts)", "",
             f"Task set {task['tasks_version']}; {task['items']} model-written outputs (rubric templates left out); "
             f"chat template {'used' if task['chat_template'] else 'absent: plain transcript'}.", "",
             f"- flips: {f['flips']}/{f['items']} = {f['rate']:.1%} (95% {f['rate_ci95'][0]:.1%} to {f['rate_ci95'][1]:.1%})",
             f"- exact match: {task['exact_match']:.0%}; mean {task['similarity']['measure']} {task['similarity']['mean']:.3f}"]
    if task.get("noise"):
        n, m = task["noise"], task["mcnemar"]
        d = task["similarity"]["candidate_minus_noise"]
        lines += [f"- noise floor (reference, batch size changed): {n['flips']}/{n['items']} flips",
                  f"- McNemar exact, candidate vs noise: {m['only_first']} items flip only in the candidate, "
                  f"{m['only_second']} only in the noise run, p = {m['p_value']:.3g}",
                  f"- similarity, candidate minus noise: {d['mean']:+.3f} (paired bootstrap 95% {d['ci95'][0]:+.3f} "
                  f"to {d['ci95'][1]:+.3f})"]
    lines += ["", "| task | flip | reference | candidate |", "|---|---|---|---|"]
    for p in task["pairs"]:
        cell = [str(x).replace("|", "\\|").replace("\n", " ")[:120] for x in (p["reference"], p["candidate"])]
        lines.append(f"| {p['task']} | {p['flip'] or '-'} | {cell[0]} | {cell[1]} |")
    return lines + [""]


def write_report(report: TokenReport, verdict: Verdict | None, out: Path, *, extra: list[str] | None = None) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    stem = out.with_suffix("")
    hist = report.kld_histogram
    edges = hist.get("log10_edges", [])
    labels = [f"1e{edges[i]:.1f}" for i in range(len(edges) - 1)]
    hist_svg = stem.with_name(stem.name + "-kld-histogram.svg")
    hist_svg.write_text(_bars_svg([float(c) for c in hist.get("counts", [])], labels, "Tokens by KL divergence (log10)"))
    chunk_svg = stem.with_name(stem.name + "-kld-per-chunk.svg")
    chunk_svg.write_text(_bars_svg(report.chunk_kld, [str(i) for i in range(len(report.chunk_kld))],
                                   "Mean KL divergence per chunk"))
    dp_edges = report.dp_histogram.get("edges", [])
    dp_svg = stem.with_name(stem.name + "-dp-histogram.svg")
    dp_svg.write_text(_bars_svg([float(c) for c in report.dp_histogram.get("counts", [])],
                                [f"{dp_edges[i]:+.1f}" for i in range(len(dp_edges) - 1)],
                                "Tokens by Δp of the correct token (symmetric = noise, left-heavy = damage)"))
    lines = [
        f"# Quantization check: {Path(report.candidate).name} against {Path(report.reference).name}", "",
        f"{report.tokens} scored tokens in {report.chunks} chunks of {report.n_ctx} (second half of each scored, "
        "as llama.cpp's perplexity tool does). Errors (±) are standard errors computed as llama.cpp does, "
        "treating tokens as independent.", "",
        f"- reference sha256 `{report.reference_sha256}`", f"- candidate sha256 `{report.candidate_sha256}`", "",
    ]
    lines += token_tables(report)
    if verdict is not None:
        lines += [f"## Gate {verdict.qtype}: {verdict.outcome.upper()}", ""]
        lines += [f"- {check}" for check in verdict.checks] + [""]
    lines += [f"![KLD histogram]({hist_svg.name})", "", f"![KLD per chunk]({chunk_svg.name})", "",
              f"![Δp histogram]({dp_svg.name})", ""]
    lines += extra or []
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
