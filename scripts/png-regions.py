#!/usr/bin/env python3
"""Reads a PNG (8-bit RGB or RGBA, as Chromium writes) with the standard library only and
prints, for each rectangle x,y,w,h given, the fraction of pixels that are not near-white and
the fraction that are coloured (not grey). Used by the report's browser test."""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), "only 8-bit RGB(A)"
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous, i = [], bytearray(stride), 0
    for _ in range(height):
        kind = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def main():
    width, height, channels, rows = read_png(sys.argv[1])
    print(f"size {width} {height}")
    for spec in sys.argv[2:]:
        x0, y0, w, h = map(int, spec.split(","))
        total = inked = coloured = 0
        for y in range(y0, min(y0 + h, height)):
            row = rows[y]
            for x in range(x0, min(x0 + w, width)):
                r, g, b = row[x * channels], row[x * channels + 1], row[x * channels + 2]
                total += 1
                if min(r, g, b) < 235:
                    inked += 1
                if max(r, g, b) - min(r, g, b) > 60:
                    coloured += 1
        print(f"{spec} {inked / max(total, 1):.4f} {coloured / max(total, 1):.4f}")


if __name__ == "__main__":
    main()
