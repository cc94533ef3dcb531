"""Small bar charts drawn on the server as inline SVG (no JavaScript, no library, nothing fetched).

Each chart has an accessible name and description; the page shows the same numbers in a table.
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

INK = "#111827"
MUTED = "#4b5563"
QUOTA = "#9ca3af"
DRAWN = "#0b4f8a"
LATE = "#b91c1c"
BAR = "#0b4f8a"


def _svg(*, width: int, height: int, title: str, desc: str, chart_id: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="{id}-t {id}-d">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>{body}</svg>',
        w=width,
        h=height,
        id=chart_id,
        title=title,
        desc=desc,
        body=body,
    )


def quota_chart(rows: list[dict], *, title: str, desc: str, quota_label: str, drawn_label: str) -> SafeString:
    """Horizontal bars per tier: the quota (grey) and how many were drawn (blue)."""
    width, label_w, right = 560, 110, 60
    bar_h, gap, group_gap, top = 16, 4, 18, 34
    scale_max = max([max(r["quota"], r["drawn"]) for r in rows] + [1])
    plot_w = width - label_w - right
    parts = [
        format_html(
            '<rect x="{x}" y="6" width="12" height="12" fill="{q}"/><text x="{tx}" y="16" font-size="12" '
            'fill="{ink}">{ql}</text><rect x="{x2}" y="6" width="12" height="12" fill="{d}"/>'
            '<text x="{tx2}" y="16" font-size="12" fill="{ink}">{dl}</text>',
            x=label_w,
            tx=label_w + 16,
            q=QUOTA,
            ink=INK,
            ql=quota_label,
            x2=label_w + 130,
            tx2=label_w + 146,
            d=DRAWN,
            dl=drawn_label,
        )
    ]
    y = top
    for row in rows:
        parts.append(
            format_html(
                '<text x="{x}" y="{y}" font-size="13" fill="{ink}" text-anchor="end">{label}</text>',
                x=label_w - 8,
                y=y + bar_h + 2,
                ink=INK,
                label=row["label"],
            )
        )
        for offset, value, colour in ((0, row["quota"], QUOTA), (bar_h + gap, row["drawn"], DRAWN)):
            w = round(plot_w * value / scale_max) if value else 0
            parts.append(
                format_html(
                    '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}"/>'
                    '<text x="{tx}" y="{ty}" font-size="12" fill="{ink}">{v}</text>',
                    x=label_w,
                    y=y + offset,
                    w=max(w, 1),
                    h=bar_h,
                    c=colour,
                    tx=label_w + w + 4,
                    ty=y + offset + bar_h - 3,
                    ink=INK,
                    v=value,
                )
            )
        y += 2 * bar_h + gap + group_gap
    return _svg(
        width=width,
        height=y,
        title=title,
        desc=desc,
        chart_id="quota-chart",
        body=format_html_join("", "{}", ((p,) for p in parts)),
    )


def weeks_chart(buckets: list[dict], labels: list[str], *, title: str, desc: str) -> SafeString:
    """Vertical bars: pending results by deadline week (the overdue bar in red)."""
    width, height, bottom, top, left = 560, 200, 40, 20, 10
    slot = (width - left) / len(buckets)
    bar_w = slot * 0.6
    scale_max = max([b["count"] for b in buckets] + [1])
    plot_h = height - bottom - top
    parts = [
        format_html(
            '<line x1="{l}" y1="{y}" x2="{r}" y2="{y}" stroke="{m}" stroke-width="1"/>',
            l=left,
            r=width,
            y=height - bottom,
            m=MUTED,
        )
    ]
    for i, (bucket, label) in enumerate(zip(buckets, labels, strict=True)):
        h = round(plot_h * bucket["count"] / scale_max)
        x = left + i * slot + (slot - bar_w) / 2
        colour = LATE if bucket["key"] == "overdue" else BAR
        parts.append(
            format_html(
                '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}"/>'
                '<text x="{cx}" y="{ty}" font-size="12" fill="{ink}" text-anchor="middle">{n}</text>'
                '<text x="{cx}" y="{ly}" font-size="11" fill="{ink}" text-anchor="middle">{label}</text>',
                x=f"{x:.1f}",
                y=height - bottom - h,
                w=f"{bar_w:.1f}",
                h=h,
                c=colour,
                cx=f"{x + bar_w / 2:.1f}",
                ty=height - bottom - h - 4,
                ink=INK,
                n=bucket["count"],
                ly=height - bottom + 16,
                label=label,
            )
        )
    return _svg(
        width=width,
        height=height,
        title=title,
        desc=desc,
        chart_id="weeks-chart",
        body=format_html_join("", "{}", ((p,) for p in parts)),
    )
