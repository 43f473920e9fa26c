// Following a server's `tools/list` pages to the end — and no further than a list can honestly go. Shared by
// the proxy's own fetch, `mandate init`/`simulate --live` and the editor's listings. Pure: no I/O.

/** The most tools read from one server's list; what follows is not read (the proxy then denies calls to it). */
export const MAX_LISTED_TOOLS = 10_000;
/** The most pages followed: a list that has not ended by then is refused. */
export const MAX_LIST_PAGES = 1_000;
/** Cursors up to this long are remembered, to see a list that goes round (a longer one counts only to the cap). */
const REMEMBERED_CURSOR = 1024;

/**
 * The pages of one listing. INVARIANT: a listing ends — at the last page, at `maxTools` tools, or with an error
 * when a server sends a cursor it sent before (its pages go round) or more than MAX_LIST_PAGES pages: such a
 * server would otherwise be asked for pages for as long as it answers (empty pages count toward no tool bound).
 */
export class ToolPages {
  private readonly seen = new Set<string>();
  private pages = 0;

  constructor(private readonly maxTools = MAX_LISTED_TOOLS) {}

  /**
   * After a page: the cursor to ask for next, or undefined when the listing is over (no cursor — a missing or
   * empty one — or `listed` tools so far reached the bound). Throws an Error saying why the list is no list.
   */
  next(cursor: unknown, listed: number): string | undefined {
    this.pages++;
    if (typeof cursor !== 'string' || cursor === '' || listed >= this.maxTools) return undefined;
    if (this.pages >= MAX_LIST_PAGES) throw new Error(`the server's tools/list did not end within ${MAX_LIST_PAGES} pages`);
    if (this.seen.has(cursor)) throw new Error(`the server's tools/list pages go round: it sent the cursor \`${cursor.slice(0, 40)}\` twice`);
    if (cursor.length <= REMEMBERED_CURSOR) this.seen.add(cursor);
    return cursor;
  }
}
