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
    lines = [
        f"# Quantization check: {Path(report.candidate).name} against {Path(report.reference).name}", "",
        f"{report.tokens} scored tokens in {report.chunks} chunks of {report.n_ctx} (second half of each scored, "
        "as llama.cpp's perplexity tool does).", "",
        "| metric | value |", "|---|---|",
        f"| mean KLD | {report.mean_kld:.6f} |", f"| median KLD | {report.median_kld:.6f} |",
        f"| p99 KLD | {report.p99_kld:.6f} |", f"| max KLD | {report.max_kld:.6f} |",
        f"| same top token | {report.same_top1:.2%} |", f"| RMS Δp | {report.rms_dp:.3%} |",
        f"| PPL reference | {report.ppl_reference:.4f} |", f"| PPL candidate | {report.ppl_candidate:.4f} |",
        f"| PPL ratio | {report.ppl_ratio:.4f} |", "",
    ]
    if verdict is not None:
        lines += [f"## Gate {verdict.qtype}: {'PASS' if verdict.passed else 'FAIL'}", ""]
        lines += [f"- {check}" for check in verdict.checks] + [""]
    lines += [f"![KLD histogram]({hist_svg.name})", "", f"![KLD per chunk]({chunk_svg.name})", ""]
    lines += extra or []
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
