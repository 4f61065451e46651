"""Helpers for the cross-check job test, in their own module so that Ray workers can import them."""

import io

import pyarrow as pa
from PIL import Image, ImageDraw, ImageFont

from engine.stage import Stage, set_columns

# alt-text -> (text in the image, caption_long, caption_short, expected action)
CASES = {
    "open shop": ("OPEN", "A shop door with a sign reading 'OPEN'.", "A shop door.", "keep"),
    "sale banner": ("SALE", "A window with a banner reading 'CLOSED' above a door.", "A banner.", "repair"),
    "exit sign": ("EXIT", "A sign reading 'ENTRANCE'.", "A green sign that says 'EXIT'.", "fallback"),
    "menu board": ("MENU", "A board that says 'TAXI'.", "A 'BUS' sign.", "reject"),
}


def rendered(text):
    image = Image.new("RGB", (360, 140), "white")
    ImageDraw.Draw(image).text((30, 40), text, font=ImageFont.load_default(size=48), fill="black")
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


# alt-text -> (image colour, caption_long, caption_short, expected action): judged by the alt-text
ALT_CASES = {
    "two dogs on a red couch": ("red", "Two dogs on a red couch.", "Dogs.", "keep"),
    "a black cat on a bed": ("black", "A white cat on a bed near a window.", "A cat.", "repair"),
    "three horses in a field": ("green", "Two horses.", "Horses in a field.", "fallback"),
    "no people, just a bus": ("blue", "A bus with people.", "People near a bus.", "reject"),
}


def coloured(colour):
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, "PNG")
    return buf.getvalue()


class PlantedCaptions(Stage):
    """Stands in for the recaption stage: writes caption_<variant> columns chosen per alt-text."""

    name = "planted_captions"

    def __init__(self, cases="ocr"):
        super().__init__()
        self.cases = cases

    def __call__(self, batch):
        table = CASES if self.cases == "ocr" else ALT_CASES
        alts = batch.column("caption").to_pylist()
        return set_columns(batch, {
            "caption_long": pa.array([table[a][1] for a in alts], pa.string()),
            "caption_long_status": pa.array(["ok"] * len(alts), pa.string()),
            "caption_short": pa.array([table[a][2] for a in alts], pa.string()),
        })
