// Server-Sent Events read from a fetch body. The browser's EventSource hides comment lines, so it cannot
// see the daemon's heartbeat and cannot tell a quiet stream from a dead one (a tablet that slept, a
// network that dropped the connection without a word); reading the body ourselves sees every byte.
// Only what the daemon sends is parsed: `event:` and `data:` fields, comments, blank-line dispatch.

export type SseHandler = (type: string, data: string) => void;

export class SseParser {
  private buffer = "";
  private type = "";
  private data: string[] = [];

  constructor(private readonly dispatch: SseHandler) {}

  /** Feeds a piece of the stream; complete events are dispatched, a partial line is kept. */
  push(text: string): void {
    this.buffer += text;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop() ?? "";
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === "") {
      if (this.data.length > 0) this.dispatch(this.type || "message", this.data.join("\n"));
      this.type = "";
      this.data = [];
      return;
    }
    if (line.startsWith(":")) return; // a comment: the heartbeat
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.type = value;
    else if (field === "data") this.data.push(value);
  }
}
