"""QR codes, label PNGs, printable PDF sheets and serial stamps.

The package is split so that importing geometry stays cheap (config.py needs
it at start-up) while Pillow and reportlab load only where pictures are made:

    sizes.py    LabelSize, SheetLayout and the default presets (no heavy imports)
    urls.py     the product and stamp URLs every QR code encodes
    serials.py  unguessable, typo-checked stamp serials
    qr.py       the QR module matrix (error correction Q, 4-module quiet zone)
    fonts.py    a TrueType font with Vietnamese glyphs, for Pillow and reportlab
    layout.py   where the QR code and each line of text go on a label, in mm
    text.py     wrapping and shrinking text into a box
    label.py    one label as a 300 dpi PNG
    pdf.py      A4 pages of labels for sticker paper, vector QR codes
    sheet.py    a sheet of product labels as PDF
    stamps.py   a batch of serial stamps as PDF
"""
