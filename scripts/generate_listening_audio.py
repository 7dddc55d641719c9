"""Synthesise the listening clips of an item bank folder with espeak-ng and opusenc.

For every item of type "listening" in <folder>/*.json, each line of `transcript` is one
speaker turn, spoken with the espeak-ng voice at the same index in `voices` (a leading
speaker label such as "A:" is not spoken). The turns are joined with short silences and
encoded to Ogg Opus (mono, 20 kbit/s) at the item's `audio` path, relative to the folder.

A clip is skipped when it already holds the digest of its inputs (transcript, voices, speed,
encoding settings; stored as an Ogg comment), unless --force is given. The output is
reproducible: same inputs and tools, same bytes.

Usage: python scripts/generate_listening_audio.py langcert/itembank/content/en [--force]
Needs espeak-ng and opusenc (Debian packages espeak-ng and opus-tools).
"""

import argparse
import array
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

# Target speaking rate in words per minute: a bit slower for the A levels.
WORDS_PER_MINUTE = {"A1": 140, "A2": 145, "B1": 155, "B2": 158, "C1": 162, "C2": 165}
# espeak-ng's -s is nominal; measured words per minute per unit of -s for each language
# (French words are shorter, so more of them fit in a minute at the same pace).
ESPEAK_RATE_FACTOR = {"en": 1.12, "fr": 1.25}
PAUSES_MS = (450, 550, 500)  # silence between turns, cycled
EDGE_MS = 250  # silence before the first turn and after the last one
SILENCE_LEVEL = 200  # 16-bit samples below this are silence (espeak-ng pads each turn)
BITRATE_KBPS = 20
SETTINGS_VERSION = 2  # bump to regenerate every clip after changing the settings above
DIGEST_TAG = "LANGCERT_SOURCE"
SPEAKER_LABEL = re.compile(r"^[A-Z]\s?:\s*")


def espeak_speed(language: str, level: str) -> int:
    return round(WORDS_PER_MINUTE[level] / ESPEAK_RATE_FACTOR.get(language, 1.0))


def turns_of(transcript: str) -> list[str]:
    lines = [line.strip() for line in transcript.splitlines() if line.strip()]
    return [SPEAKER_LABEL.sub("", line).replace("’", "'") for line in lines]


def digest_of(turns: list[str], voices: list[str], speed: int) -> str:
    settings = [PAUSES_MS, EDGE_MS, SILENCE_LEVEL, BITRATE_KBPS, SETTINGS_VERSION]
    source = {"turns": turns, "voices": voices, "speed": speed, "settings": settings}
    return hashlib.sha256(json.dumps(source, sort_keys=True).encode()).hexdigest()


def is_up_to_date(path: Path, digest: str) -> bool:
    if not path.is_file():
        return False
    with path.open("rb") as clip:  # the comment header sits in the first pages
        return f"{DIGEST_TAG}={digest}".encode() in clip.read(16384)


def synthesise(turns: list[str], voices: list[str], speed: int, wav_path: Path) -> float:
    """Speak each turn, join them with silences into one WAV; return its length in seconds."""
    chunks: list[bytes] = []
    shape: tuple[int, int, int] | None = None  # channels, sample width, frame rate
    for index, (text, voice) in enumerate(zip(turns, voices, strict=True)):
        turn_path = wav_path.with_name(f"turn{index}.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(turn_path),
                        "--stdin"], input=text.encode(), check=True)
        with wave.open(str(turn_path), "rb") as turn:
            turn_shape = (turn.getnchannels(), turn.getsampwidth(), turn.getframerate())
            if shape not in (None, turn_shape):
                raise ValueError(f"voice {voice} gives {turn_shape}, not {shape}")
            shape = turn_shape
            if index:
                chunks.append(silence(shape, PAUSES_MS[(index - 1) % len(PAUSES_MS)]))
            chunks.append(trim_silence(turn.readframes(turn.getnframes()), shape))
    if shape is None:
        raise ValueError("empty transcript")
    edge = silence(shape, EDGE_MS)
    with wave.open(str(wav_path), "wb") as out:
        out.setnchannels(shape[0])
        out.setsampwidth(shape[1])
        out.setframerate(shape[2])
        out.writeframes(b"".join([edge, *chunks, edge]))
        return out.getnframes() / shape[2]


def trim_silence(frames: bytes, shape: tuple[int, int, int]) -> bytes:
    """Drop the silence espeak-ng puts around a turn, so the pauses are the ones we set."""
    if shape[:2] != (1, 2):
        return frames
    samples = array.array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    loud = [i for i, sample in enumerate(samples) if abs(sample) > SILENCE_LEVEL]
    return frames[2 * loud[0]:2 * (loud[-1] + 1)] if loud else frames


def silence(shape: tuple[int, int, int], ms: int) -> bytes:
    channels, width, rate = shape
    return bytes(rate * ms // 1000 * width * channels)


def encode(wav_path: Path, target: Path, digest: str, title: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    subprocess.run(["opusenc", "--quiet", "--speech", "--bitrate", str(BITRATE_KBPS),
                    "--serial", str(int(digest[:7], 16)), "--title", title,
                    "--comment", f"{DIGEST_TAG}={digest}", str(wav_path), str(partial)],
                   check=True)
    partial.replace(target)


def listening_items(folder: Path) -> list[tuple[str, dict]]:
    found = []
    for path in sorted(folder.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        language = str(document.get("language", ""))
        found += [(language, item) for item in document.get("items", [])
                  if item.get("type") == "listening"]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a language folder of the item bank")
    parser.add_argument("--force", action="store_true", help="regenerate every clip")
    args = parser.parse_args()
    problems = 0
    with tempfile.TemporaryDirectory() as scratch:
        wav_path = Path(scratch) / "clip.wav"
        for language, item in listening_items(args.folder):
            code, content = item["code"], item["content"]
            turns, voices = turns_of(content["transcript"]), content["voices"]
            if len(turns) != len(voices):
                print(f"{code}: {len(turns)} turns but {len(voices)} voices", file=sys.stderr)
                problems += 1
                continue
            speed = espeak_speed(language, item["level"])
            digest = digest_of(turns, voices, speed)
            target = args.folder / content["audio"]
            if not args.force and is_up_to_date(target, digest):
                print(f"{code}: up to date")
                continue
            seconds = synthesise(turns, voices, speed, wav_path)
            encode(wav_path, target, digest, code)
            print(f"{code}: {seconds:.1f} s -> {target}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
