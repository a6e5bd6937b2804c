// Saves a file the API made (a report, a recall export) on the reader's computer, under its own name.
import type { ApiFile } from "./api/client";

export function saveFile(file: ApiFile): void {
  const url = URL.createObjectURL(file.blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = file.name;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked once the browser has taken the download over; at once could cancel it.
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/** "12.4 kB" */
export function fileSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
