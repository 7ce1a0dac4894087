/** Runs async work one call after the other, whatever the previous call's outcome (a pager's `Load more…` clicks). */
export class OneAtATime {
  private tail: Promise<void> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
