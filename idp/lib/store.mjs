// In-memory storage for oidc-provider models (sessions, grants, codes, tokens) that outlives provider rebuilds on key rotation.

const SWEEP_INTERVAL_MS = 60_000;

function epochSeconds() {
  return Math.floor(Date.now() / 1000);
}

/**
 * Returns an oidc-provider adapter class whose instances share one store, so a Provider rebuilt with a
 * new key set keeps every session, interaction and grant of the previous one.
 */
export function createSharedAdapter() {
  const entries = new Map();
  const keysByGrant = new Map();
  const sessionIdsByUid = new Map();

  function live(key) {
    const entry = entries.get(key);
    if (entry && entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry?.payload;
  }

  setInterval(() => {
    for (const key of entries.keys()) {
      live(key);
    }
    for (const [grantId, keys] of keysByGrant) {
      [...keys].filter((key) => !entries.has(key)).forEach((key) => keys.delete(key));
      if (keys.size === 0) {
        keysByGrant.delete(grantId);
      }
    }
    for (const [uid, id] of sessionIdsByUid) {
      if (!entries.has(`Session:${id}`)) {
        sessionIdsByUid.delete(uid);
      }
    }
  }, SWEEP_INTERVAL_MS).unref();

  return class SharedAdapter {
    constructor(model) {
      this.model = model;
    }

    key(id) {
      return `${this.model}:${id}`;
    }

    async upsert(id, payload, expiresIn) {
      const key = this.key(id);
      entries.set(key, {
        payload: structuredClone(payload),
        expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined,
      });
      if (this.model === 'Session' && payload.uid) {
        sessionIdsByUid.set(payload.uid, id);
      }
      if (payload.grantId) {
        if (!keysByGrant.has(payload.grantId)) {
          keysByGrant.set(payload.grantId, new Set());
        }
        keysByGrant.get(payload.grantId).add(key);
      }
    }

    async find(id) {
      const payload = live(this.key(id));
      return payload === undefined ? undefined : structuredClone(payload);
    }

    async findByUid(uid) {
      const id = sessionIdsByUid.get(uid);
      return id === undefined ? undefined : this.find(id);
    }

    async consume(id) {
      const payload = live(this.key(id));
      if (payload) {
        payload.consumed = epochSeconds();
      }
    }

    async destroy(id) {
      entries.delete(this.key(id));
    }

    async revokeByGrantId(grantId) {
      keysByGrant.get(grantId)?.forEach((key) => entries.delete(key));
      keysByGrant.delete(grantId);
    }
  };
}
