// A small model of a VT100/xterm screen, enough to say what a user of a terminal sees after a
// program's output: the character grid, the cursor and its visibility, and how often the screen
// scrolled or a line wrapped at the right margin. Escape sequences it does not model are counted
// in `unknown`, so a test can tell "drawn as expected" from "not understood".

export class Screen {
  private grid: string[][];
  private x = 0;
  private y = 0;
  /** xterm's deferred wrap: the last column was written, the next printable character wraps. */
  private wrapPending = false;
  private rest = "";
  cursorVisible = true;
  /** Lines that left the top of the screen (a line feed on the last row, or a wrap there). */
  scrolls = 0;
  /** Printable characters that went past the right margin onto the next line. */
  autowraps = 0;
  /** Clears of the whole screen (ED 2 or 3). */
  clears = 0;
  /** Cursor positionings (CUP, and relative moves). */
  moves = 0;
  readonly unknown: string[] = [];

  constructor(
    public cols: number,
    public rows: number,
  ) {
    this.grid = Array.from({ length: rows }, () => this.blank());
  }

  /** The terminal got smaller or larger: as xterm, the grid is cut or padded, the cursor kept inside. */
  resize(cols: number, rows: number): void {
    this.grid = Array.from({ length: rows }, (_, r) => {
      const line = this.grid[r] ?? [];
      return Array.from({ length: cols }, (_, c) => line[c] ?? " ");
    });
    this.cols = cols;
    this.rows = rows;
    this.x = Math.min(this.x, cols - 1);
    this.y = Math.min(this.y, rows - 1);
    this.wrapPending = false;
  }

  /** The visible lines, trailing blanks removed. */
  lines(): string[] {
    return this.grid.map((l) => l.join("").trimEnd());
  }

  text(): string {
    return this.lines().join("\n").trimEnd();
  }

  write(data: string): void {
    const s = this.rest + data;
    this.rest = "";
    let i = 0;
    while (i < s.length) {
      const c = s[i]!;
      if (c === "\x1b") {
        const n = this.escape(s, i);
        if (n === 0) {
          this.rest = s.slice(i); // an incomplete sequence: wait for the rest
          return;
        }
        i += n;
        continue;
      }
      i++;
      if (c === "\r") {
        this.x = 0;
        this.wrapPending = false;
      } else if (c === "\n") this.lineFeed();
      else if (c === "\b") {
        this.x = Math.max(0, this.x - 1);
        this.wrapPending = false;
      } else if (c === "\t") this.x = Math.min(this.cols - 1, (Math.floor(this.x / 8) + 1) * 8);
      else if (c === "\x07" || c < " ") continue;
      else {
        const cp = s.codePointAt(i - 1)!;
        const ch = String.fromCodePoint(cp);
        if (ch.length === 2) i++;
        this.put(ch);
      }
    }
  }

  private blank(): string[] {
    return Array.from({ length: this.cols }, () => " ");
  }

  private put(ch: string): void {
    if (this.wrapPending) {
      this.autowraps++;
      this.x = 0;
      this.lineFeed();
    }
    this.grid[this.y]![this.x] = ch;
    if (this.x === this.cols - 1) this.wrapPending = true;
    else this.x++;
  }

  private lineFeed(): void {
    this.wrapPending = false;
    if (this.y < this.rows - 1) {
      this.y++;
      return;
    }
    this.scrolls++;
    this.grid.shift();
    this.grid.push(this.blank());
  }

  /** Consumes the escape sequence at `s[i]`; returns its length, or 0 when it is incomplete. */
  private escape(s: string, i: number): number {
    if (i + 1 >= s.length) return 0;
    const kind = s[i + 1]!;
    if (kind === "[") {
      const m = /^\x1b\[([?>]?)([0-9;]*)([ -\/]*)([@-~])/.exec(s.slice(i, i + 64));
      if (!m) return s.length - i < 64 ? 0 : (this.unknown.push(JSON.stringify(s.slice(i, i + 8))), 2);
      this.csi(m[1]!, m[2]!.split(";").map((p) => (p === "" ? undefined : Number(p))), m[3]! + m[4]!, m[0]);
      return m[0].length;
    }
    if (kind === "]") {
      // OSC (a window title, say), up to BEL or ST: nothing on the screen.
      const end = s.slice(i).search(/\x07|\x1b\\/);
      if (end < 0) return 0;
      return end + (s[i + end] === "\x07" ? 1 : 2);
    }
    this.unknown.push(JSON.stringify(s.slice(i, i + 2)));
    return 2;
  }

  private csi(priv: string, params: (number | undefined)[], final: string, whole: string): void {
    const n = (k: number, d: number) => params[k] ?? d;
    const clearLine = (from: number, to: number) => {
      for (let x = from; x < to; x++) this.grid[this.y]![x] = " ";
    };
    if (priv === "?") {
      if ((final === "h" || final === "l") && params.includes(25)) this.cursorVisible = final === "h";
      else this.unknown.push(JSON.stringify(whole));
      return;
    }
    this.wrapPending = false;
    switch (final) {
      case "m": // colors and styles: not modelled
        return;
      case "H":
      case "f":
        this.y = Math.min(this.rows, Math.max(1, n(0, 1))) - 1;
        this.x = Math.min(this.cols, Math.max(1, n(1, 1))) - 1;
        this.moves++;
        return;
      case "A":
        this.y = Math.max(0, this.y - Math.max(1, n(0, 1)));
        this.moves++;
        return;
      case "B":
        this.y = Math.min(this.rows - 1, this.y + Math.max(1, n(0, 1)));
        this.moves++;
        return;
      case "C":
        this.x = Math.min(this.cols - 1, this.x + Math.max(1, n(0, 1)));
        this.moves++;
        return;
      case "D":
        this.x = Math.max(0, this.x - Math.max(1, n(0, 1)));
        this.moves++;
        return;
      case "G":
        this.x = Math.min(this.cols, Math.max(1, n(0, 1))) - 1;
        this.moves++;
        return;
      case "K": {
        const mode = n(0, 0);
        if (mode === 0) clearLine(this.x, this.cols);
        else if (mode === 1) clearLine(0, this.x + 1);
        else clearLine(0, this.cols);
        return;
      }
      case "J": {
        const mode = n(0, 0);
        if (mode === 0) {
          clearLine(this.x, this.cols);
          for (let y = this.y + 1; y < this.rows; y++) this.grid[y] = this.blank();
        } else if (mode === 1) {
          clearLine(0, this.x + 1);
          for (let y = 0; y < this.y; y++) this.grid[y] = this.blank();
        } else {
          this.grid = Array.from({ length: this.rows }, () => this.blank());
          this.clears++;
        }
        return;
      }
      default:
        this.unknown.push(JSON.stringify(whole));
    }
  }
}
