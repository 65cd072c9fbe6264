#!/usr/bin/env bash
# decode.sh TOOL -- read back every QR code the label library draws, with a
# real decoder.
#
# TOOL is label_render_tool (built next to the tests).  It renders labels with
# fresh random codes -- PNG at 203 and 300 dpi in 50x30 and 100x50 mm, and A4
# PDF sheets (3x8 and 2x5, preset and custom margins) -- and lists the URL each
# QR code must carry (for sheets also the label's page and cell).
#
#   PNG: `zbarimg --raw` of the file must give exactly its URL.
#   PDF: each page is rasterised with pdftoppm at 300 dpi and cut into its
#        labels' cells (TOOL crop), as a phone or scanner sees one label; each
#        cell must decode to exactly the URL of the label printed there -- so
#        over a sheet the decoded URLs equal the expected ones as a set and in
#        number, and each sits in its own cell.  Whole pages of the preset
#        sheets are decoded too: zbar may miss a symbol among 24 on a page
#        (it does, now and then, for codes that decode alone), but it must
#        never read one that was not printed.
#
# Then pdftotext must find the Chinese names in a PDF, which proves they are
# real text in an embedded CJK font, not boxes.
#
# Exit 0 pass, 1 fail, 77 skip (zbar-tools or poppler-utils missing).
set -euo pipefail

tool=${1:?usage: decode.sh PATH/TO/label_render_tool}
for cmd in zbarimg pdftoppm pdftotext; do
    if ! command -v "$cmd" >/dev/null; then
        echo "decode.sh: $cmd is missing (apt-get install zbar-tools poppler-utils); skipping"
        exit 77
    fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/relief-labels.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$tool" set "$dir" 8

# zbarimg prints one line per symbol with --raw and exits 4 when it finds
# none (the comparisons report that); it talks about dbus on stderr.
decode() {
    zbarimg --raw -q "$@" 2>/dev/null || true
}

fail=0
# PNG files: the whole image is one label.
while IFS=$'\t' read -r file url; do
    got=$(decode "$dir/$file")
    if [[ "$got" != "$url" ]]; then
        echo "FAIL $file: expected $url, decoded '${got//$'\n'/ | }'"
        fail=1
    fi
done < <(awk -F'\t' 'NF == 2' "$dir/expected.tsv")

# PDF sheets: each page rasterised once, then cut into its labels' cells.
cells=0
total=0
while IFS=$'\t' read -r file url page x y w h; do
    raster="$dir/$file.$page.pgm"
    if [[ ! -f "$raster" ]]; then
        pdftoppm -r 300 -gray -singlefile -f "$page" -l "$page" "$dir/$file" "${raster%.pgm}"
    fi
    # mm -> pixels at 300 dpi; the cell includes the QR's quiet zone.
    read -r px py pw ph < <(awk -v x="$x" -v y="$y" -v w="$w" -v h="$h" \
        'BEGIN { s = 300 / 25.4; printf "%d %d %d %d\n", x * s, y * s, w * s, h * s }')
    "$tool" crop "$raster" "$px" "$py" "$pw" "$ph" "$dir/cell.pgm"
    got=$(decode "$dir/cell.pgm")
    total=$((total + 1))
    if [[ "$got" == "$url" ]]; then
        cells=$((cells + 1))
    else
        echo "FAIL $file page $page cell at $x,$y mm: expected $url, decoded '${got//$'\n'/ | }'"
        fail=1
    fi
done < <(awk -F'\t' 'NF == 7' "$dir/expected.tsv")

# Whole pages of the two presets: whatever zbar reads must be a label of that sheet.
pages_read=0
for raster in "$dir"/sheet-3x8.pdf.*.pgm "$dir"/sheet-2x5.pdf.*.pgm; do
    file=$(basename "${raster%.*.pgm}")
    while IFS= read -r got; do
        [[ -n "$got" ]] || continue
        pages_read=$((pages_read + 1))
        if ! awk -F'\t' -v f="$file" -v u="$got" '$1 == f && $2 == u { found = 1 } END { exit !found }' \
            "$dir/expected.tsv"; then
            echo "FAIL $file: a page decoded to '$got', which is no label of this sheet"
            fail=1
        fi
    done < <(decode "$raster")
done

# Chinese text: pdftotext must give it back (rows may break anywhere, so compare without spaces).
while IFS=$'\t' read -r file text; do
    if ! pdftotext -enc UTF-8 "$dir/$file" - | tr -d ' \n' | grep -qF "$text"; then
        echo "FAIL $file: \"$text\" is not in the PDF's text"
        fail=1
    fi
done <"$dir/zh-text.tsv"

pngs=$(awk -F'\t' 'NF == 2' "$dir/expected.tsv" | wc -l)
echo "decode.sh: $pngs PNG labels decoded; $cells of $total sheet labels decoded in their cells" \
    "($pages_read read from the preset sheets' whole pages); Chinese text found in the PDF"
exit "$fail"
