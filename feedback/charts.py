"""Chart geometry for server-rendered SVG (templates/feedback/_chart_*.html). No JS."""

from __future__ import annotations

WIDTH, HEIGHT = 600, 220


def funnel(steps: list[tuple[str, int]], width: int = WIDTH) -> dict:
    """Horizontal bars, each as wide as its count relative to the first step, with the
    conversion from the step before."""
    top = max((count for _, count in steps), default=0) or 1
    bar_h, gap, label_w = 28, 8, 110
    bars = []
    for i, (label, count) in enumerate(steps):
        w = (width - label_w - 70) * count / top
        prev = steps[i - 1][1] if i else None
        bars.append({"label": label, "count": count, "x": label_w, "y": i * (bar_h + gap),
                     "w": round(max(w, 1), 1), "h": bar_h, "text_x": round(label_w + w + 6, 1),
                     "text_y": i * (bar_h + gap) + bar_h * 0.68,
                     "rate": (count / prev) if prev else None})
    return {"bars": bars, "width": width, "height": len(steps) * (bar_h + gap),
            "label_w": label_w}


def pareto(rows: list[dict], total, width: int = WIDTH, height: int = HEIGHT,
           max_bars: int = 40) -> dict:
    """Descending revenue bars (the biggest `max_bars` partners) and the cumulative share
    of all revenue as a line, with the 80 % guide."""
    shown = rows[:max_bars]
    pad_l, pad_b, pad_t = 40, 20, 10
    plot_w, plot_h = width - pad_l - 10, height - pad_b - pad_t
    top = float(shown[0]["revenue"]) if shown else 1.0
    step = plot_w / max(len(shown), 1)
    bars, points = [], []
    for i, r in enumerate(shown):
        h = plot_h * float(r["revenue"]) / top if top else 0
        x = pad_l + i * step
        bars.append({"x": round(x + step * 0.1, 1), "y": round(pad_t + plot_h - h, 1),
                     "w": round(step * 0.8, 1), "h": round(h, 1), "name": r["partner__name"],
                     "revenue": r["revenue"]})
        points.append(f"{x + step / 2:.1f},{pad_t + plot_h * (1 - r['cumulative']):.1f}")
    return {"bars": bars, "line": " ".join(points), "width": width, "height": height,
            "pad_l": pad_l, "plot_bottom": pad_t + plot_h, "y80": pad_t + plot_h * 0.2,
            "right": width - 10, "shown": len(shown), "total": total}


def monthly_bars(rows: list[dict], key: str, width: int = WIDTH, height: int = 160) -> dict:
    """One bar per month of `key` (the partner's trend)."""
    top = max((float(r[key] or 0) for r in rows), default=0) or 1.0
    pad_b, pad_t = 18, 8
    plot_h = height - pad_b - pad_t
    step = width / max(len(rows), 1)
    bars = []
    for i, r in enumerate(rows):
        h = plot_h * float(r[key] or 0) / top
        bars.append({"x": round(i * step + step * 0.15, 1), "y": round(pad_t + plot_h - h, 1),
                     "w": round(step * 0.7, 1), "h": round(h, 1), "value": r[key],
                     "label": r["month"].strftime("%m/%y") if r.get("month") else "",
                     "label_x": round(i * step + step / 2, 1)})
    return {"bars": bars, "width": width, "height": height, "label_y": height - 4}
