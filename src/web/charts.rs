//! The dashboard's charts as SVG rendered on the server: each with a title (its text
//! alternative), data points with their values as tooltips, no script.

use serde_json::Value;

/// The mean MQA score of each producer over time, as an SVG line chart with a title and a
/// text alternative, one point per snapshot (each with its value as a tooltip).
pub(super) fn trend_chart(series: &[(String, Vec<(String, f64)>)], title: &str) -> String {
    line_chart(
        series,
        title,
        "chart-title",
        405.0,
        &[0.0, 120.0, 221.0, 351.0, 405.0],
    )
}

/// A line chart of one value per producer over time, from 0 to `max`; `id` names its title.
pub(super) fn line_chart(
    series: &[(String, Vec<(String, f64)>)],
    title: &str,
    id: &str,
    max: f64,
    ticks: &[f64],
) -> String {
    // The legend takes the last `legend` pixels on the right.
    let (width, height, margin, legend) = (760.0, 260.0, 40.0, 140.0);
    let longest = series
        .iter()
        .map(|(_, p)| p.len())
        .max()
        .unwrap_or(0)
        .max(2);
    let x = |i: usize| margin + (width - legend - 2.0 * margin) * i as f64 / (longest - 1) as f64;
    let y = |v: f64| height - margin - (height - 2.0 * margin) * v / max;
    let colours = [
        "#00427a", "#b03a00", "#2e7d32", "#6a1b9a", "#8d6e00", "#00695c",
    ];
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}\">{}</title>",
        html_escape(title)
    );
    svg.push_str(&format!(
        "<line x1=\"{margin}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#444\"/><line x1=\"{margin}\" y1=\"{margin}\" x2=\"{margin}\" y2=\"{}\" stroke=\"#444\"/>",
        height - margin,
        width - legend - margin,
        height - margin,
        height - margin
    ));
    for tick in ticks.iter().copied() {
        svg.push_str(&format!(
            "<text x=\"4\" y=\"{:.1}\" font-size=\"10\">{tick}</text>",
            y(tick) + 3.0
        ));
    }
    for (n, (producer, points)) in series.iter().enumerate() {
        let colour = colours[n % colours.len()];
        let path: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, (_, v))| format!("{:.1},{:.1}", x(i), y(*v)))
            .collect();
        svg.push_str(&format!(
            "<g class=\"series\" data-producer=\"{}\"><polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
            html_escape(producer),
            path.join(" ")
        ));
        for (i, (taken_at, value)) in points.iter().enumerate() {
            svg.push_str(&format!(
                "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"><title>{} {}: {value:.1}</title></circle>",
                x(i),
                y(*value),
                html_escape(producer),
                html_escape(taken_at)
            ));
        }
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"{colour}\">{}</text></g>",
            width - legend + 10.0,
            margin + 14.0 * n as f64,
            html_escape(producer)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The latest shares of each producer (open licence, machine-readable, working links, up to
/// date) as a horizontal bar chart; a share not measured has no bar and says so.
pub(super) fn shares_chart(
    latest: &std::collections::BTreeMap<String, Value>,
    labels: &std::collections::BTreeMap<&'static str, &'static str>,
) -> String {
    let measures = [
        ("open_licence_share", "open_licence"),
        ("machine_readable_share", "machine_readable"),
        ("working_links_share", "working_links"),
        ("freshness_share", "freshness"),
    ];
    let (row, label_width, bar_width) = (16.0, 260.0, 300.0);
    let height = row * (latest.len() * (measures.len() + 1)) as f64 + 10.0;
    let mut svg = format!(
        "<svg class=\"chart shares\" role=\"img\" aria-labelledby=\"shares-title\" viewBox=\"0 0 620 {height}\" width=\"620\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"shares-title\">{}</title>",
        html_escape(labels["shares_title"])
    );
    let mut y = 12.0;
    for (producer, indicators) in latest {
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{y}\" font-size=\"12\" font-weight=\"bold\">{}</text>",
            html_escape(producer)
        ));
        y += row;
        for (field, label) in measures {
            let value = indicators[field].as_f64();
            svg.push_str(&format!(
                "<text x=\"10\" y=\"{y}\" font-size=\"11\">{}</text>",
                html_escape(labels[label])
            ));
            match value {
                Some(share) => svg.push_str(&format!(
                    "<rect class=\"bar\" x=\"{label_width}\" y=\"{:.1}\" width=\"{:.1}\" height=\"11\" fill=\"#00427a\"><title>{}: {:.0} %</title></rect><text x=\"{:.1}\" y=\"{y}\" font-size=\"11\">{:.0} %</text>",
                    y - 10.0,
                    bar_width * share,
                    html_escape(labels[label]),
                    share * 100.0,
                    label_width + bar_width * share + 4.0,
                    share * 100.0
                )),
                None => svg.push_str(&format!(
                    "<text x=\"{label_width}\" y=\"{y}\" font-size=\"11\">{}</text>",
                    html_escape(labels["not_measured"])
                )),
            }
            y += row;
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Each producer's datasets per MQA rating band, as stacked bars.
pub(super) fn bands_chart(
    latest: &std::collections::BTreeMap<String, Value>,
    title: &str,
) -> String {
    let colours = [
        ("excellent", "#2e7d32"),
        ("good", "#7cb342"),
        ("sufficient", "#f9a825"),
        ("bad", "#c62828"),
    ];
    let height = 22.0 * latest.len() as f64 + 30.0;
    let mut svg = format!(
        "<svg class=\"chart bands\" role=\"img\" aria-labelledby=\"bands-title\" viewBox=\"0 0 620 {height}\" width=\"620\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"bands-title\">{}</title>",
        html_escape(title)
    );
    for (n, (producer, indicators)) in latest.iter().enumerate() {
        let y = 22.0 * n as f64 + 4.0;
        let total: f64 = (0..4).filter_map(|i| indicators["bands"][i].as_f64()).sum();
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{:.1}\" font-size=\"12\">{}</text>",
            y + 12.0,
            html_escape(producer)
        ));
        let mut x = 160.0;
        for (i, (band, colour)) in colours.iter().enumerate() {
            let count = indicators["bands"][i].as_f64().unwrap_or(0.0);
            let width = if total > 0.0 {
                400.0 * count / total
            } else {
                0.0
            };
            svg.push_str(&format!(
                "<rect class=\"band\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"16\" fill=\"{colour}\"><title>{} {band}: {count}</title></rect>",
                html_escape(producer)
            ));
            x += width;
        }
    }
    let legend_y = height - 8.0;
    for (i, (band, colour)) in colours.iter().enumerate() {
        let x = 160.0 + 100.0 * i as f64;
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{legend_y:.1}\" font-size=\"11\">{band}</text>",
            legend_y - 9.0,
            x + 14.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

pub(super) fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
