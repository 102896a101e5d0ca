// The admin principal as the admin router sees it. The admin credential itself (a bearer token compared
// in constant time with its SHA-256) is checked by `authenticate` in src/api/auth.ts.
import type { Principal } from './auth.js';

export type AdminPrincipal = Extract<Principal, { kind: 'admin' }>;
