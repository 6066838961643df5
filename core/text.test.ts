import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { hasControlCharacters, lastLinesExcerpt, oneLine, plainText } from "./text";

/**
 * A Linux guest's serial console under a KVM that cannot run it (captured on a Firecracker VM
 * with kvm_pvm, `-accel kvm -cpu kvm64`): SeaBIOS clears the screen, boots, and nothing follows.
 */
const seabios = readFileSync(join(__dirname, "fixtures", "seabios-serial-kvm-hang.txt"), "utf8");

describe("plainText", () => {
  it("drops SeaBIOS's screen-clearing escapes and the serial console's carriage returns", () => {
    assert.ok(hasControlCharacters(seabios), "the fixture holds the raw escapes");
    const clean = plainText(seabios);
    assert.equal(clean, "SeaBIOS (version 1.16.2-debian-1.16.2-1)\nBooting from ROM...\n");
    assert.equal(hasControlCharacters(clean), false);
  });

  it("drops OSC titles, character-set designations, 8-bit CSI, bells and backspaces; keeps text and tabs", () => {
    const raw = "\u001b]0;title\u0007a\u001b(Bb\u009b31mc\u0008\u0007\td\u001b[38;5;196me\u001b[0m\u007f";
    assert.equal(plainText(raw), "abc\tde");
  });

  it("leaves plain text, quotes and non-ASCII letters alone", () => {
    const text = 'port 8080 taken by "node" (pid 12) – µs\nnext';
    assert.equal(plainText(text), text);
    assert.equal(hasControlCharacters(text), false);
  });
});

describe("lastLinesExcerpt and oneLine", () => {
  it("quote a real console on one readable line", () => {
    assert.equal(lastLinesExcerpt(seabios, 5, 500), "SeaBIOS (version 1.16.2-debian-1.16.2-1) | Booting from ROM...");
    assert.equal(lastLinesExcerpt(seabios, 1, 500), "Booting from ROM...");
    assert.equal(lastLinesExcerpt(seabios, 5, 7), "SeaBIOS");
    assert.equal(oneLine(`${seabios}  end\r\n`), "SeaBIOS (version 1.16.2-debian-1.16.2-1) Booting from ROM... end");
  });
});
