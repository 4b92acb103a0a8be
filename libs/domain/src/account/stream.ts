// One stream per account in the log: its name, and the account a stream name belongs to.
export const accountStream = (accountId: string): string => `account-${accountId}`;

export const accountOfStream = (streamId: string): string | undefined =>
  streamId.startsWith('account-') ? streamId.slice('account-'.length) : undefined;
