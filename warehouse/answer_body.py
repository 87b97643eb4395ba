"""How an answer's bytes go out: ClickHouse's block frames for ``compress=1``, then the HTTP encoding, if any."""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.blocks import frames
from warehouse.compression import AnswerEncoder


@dataclass
class AnswerBody:
    in_blocks: bool = False
    encoder: AnswerEncoder | None = None

    def headers(self) -> dict[str, str]:
        return {"Content-Encoding": self.encoder.encoding} if self.encoder else {}

    def chunk(self, raw: bytes) -> bytes:
        if not raw:
            return b""
        framed = frames(raw) if self.in_blocks else raw
        return self.encoder.encode(framed) if self.encoder else framed

    def end(self) -> bytes:
        return self.encoder.finish() if self.encoder else b""

    def whole(self, raw: bytes) -> bytes:
        return self.chunk(raw) + self.end()
