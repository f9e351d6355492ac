import * as z from 'zod';
import { ACTOR_KINDS, EVENT_TYPES } from './changes/events';
import { LINK_SOURCES, ROLES } from './roles';
import { scheduleProblem } from './roster/schedule';
import { isOneRosterRestUrl } from './roster/rest-url';

/**
 * Request and response shapes, declared once: the handlers validate with them, the OpenAPI document and
 * the tests are built from them. A response shape's `meta({ id })` names its OpenAPI component.
 */
const Id = z.guid({ message: 'must be a UUID' });

const optional = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

// PostgreSQL text cannot hold NUL: a NUL would be altered or fail in the query, so it is refused as a 400.
const noNul = (value: string) => !value.includes('\u0000');

/** A trimmed, non-empty text field of at most `max` characters. */
const text = (max: number) => z.string().trim().min(1).max(max).refine(noNul, 'must not contain NUL characters');

export const CreateUserBody = z.strictObject({
  firstName: text(100),
  lastName: optional(text(100)),
  email: optional(z.email().max(255)),
  userName: optional(text(255)),
});
export type CreateUserInput = z.infer<typeof CreateUserBody>;

export const CreateSchoolBody = z.strictObject({
  name: text(255),
  code: optional(text(64)),
});
export type CreateSchoolInput = z.infer<typeof CreateSchoolBody>;

/**
 * A JSON Merge Patch (RFC 7396) of the fields POST takes (docs/lifecycle.md), from the same schemas: an absent
 * field is kept, `null` clears an optional field, and a required field cannot be cleared (null or blank
 * is a 400 naming it).
 */
export const UserPatchBody = CreateUserBody.partial();
export type UserPatch = z.infer<typeof UserPatchBody>;
export const SchoolPatchBody = CreateSchoolBody.partial();
export type SchoolPatch = z.infer<typeof SchoolPatchBody>;

/** DELETE's query: `?erase=true` hard-deletes the record and every copy of its data (docs/lifecycle.md). */
export const DeleteQuery = z.strictObject({
  erase: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .describe('`true` erases the record for good, whatever its state, with every copy of its data (scope `roster/erase`).')
    .optional(),
});

/** `If-Match` of PATCH and DELETE (RFC 9110 §13.1.1): the change applies only to the record as the client last saw it. */
export const ConditionalHeaders = z.object({
  'If-Match': z
    .string()
    .describe('An `ETag` of the record, a list of them, or `*`: when none matches the current record, 412 and nothing changes.')
    .optional(),
});

const RoleSchema = z.enum(ROLES);

export const LinkBody = z.strictObject({ role: RoleSchema.optional() });
export type LinkInput = z.infer<typeof LinkBody>;

/**
 * The Idempotency-Key request header of POST /users and POST /schools, unquoted (the IETF draft sends it
 * as a structured-field string, so the quotes are taken off first): visible ASCII only, since the key is
 * compared byte for byte; at most 255 characters (Stripe's limit).
 */
export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters')
  .describe('Makes the request safe to retry: the same key and body return the first response; the same key with another body is a 422. Kept 24 hours, per caller.');
export const IdempotencyHeaders = z.object({ 'Idempotency-Key': IdempotencyKey.optional() });

export const UserPath = z.object({ userId: Id });
export const SchoolPath = z.object({ schoolId: Id });
export const MembershipPath = z.object({ schoolId: Id, userId: Id });
export const DistrictPath = z.object({ districtId: Id });
export const SyncRunPath = z.object({ districtId: Id, runId: Id });

export const UserSchema = z.object({
  userId: z.uuid(),
  firstName: z.string(),
  lastName: z.string().nullable(),
  email: z.string().nullable(),
  userName: z.string().nullable(),
  sourcedId: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).meta({ id: 'User' });
export type UserDto = z.infer<typeof UserSchema>;

export const SchoolSchema = z.object({
  schoolId: z.uuid(),
  name: z.string(),
  code: z.string().nullable(),
  sourcedId: z.string().nullable(),
  /** The district whose roster holds the school; null for a school made through the API. */
  districtId: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).meta({ id: 'School' });
export type SchoolDto = z.infer<typeof SchoolSchema>;

export const MembershipSchema = z.object({
  userId: z.uuid(),
  schoolId: z.uuid(),
  role: RoleSchema,
  source: z.enum(LINK_SOURCES),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).meta({ id: 'Membership' });
export type MembershipDto = z.infer<typeof MembershipSchema>;

/** What a list item of a membership route says about the link; `since` is its createdAt. */
const MembershipSummary = z.object({ role: RoleSchema, since: z.iso.datetime() });

export const MemberSchema = UserSchema.extend({ membership: MembershipSummary }).meta({ id: 'Member' });
export type MemberDto = z.infer<typeof MemberSchema>;

export const SchoolOfUserSchema = SchoolSchema.extend({ membership: MembershipSummary }).meta({ id: 'SchoolOfUser' });
export type SchoolOfUserDto = z.infer<typeof SchoolOfUserSchema>;

/**
 * A district's roster source (docs/districts.md#routes): `s3://bucket/prefix/` or `s3://bucket/key.zip`,
 * or the base URL of a OneRoster 1.1 or 1.2 REST service, ending in `/ims/oneroster/v1p1` or
 * `/ims/oneroster/rostering/v1p2` (https; http too when not deployed, for a SIS on the developer's
 * machine). Whether a URL's host may be reached is checked when the district is saved
 * (shared/net/address-guard.ts), as it needs a DNS lookup.
 */
const RosterSourceUrl = z
  .string()
  .max(2048)
  .refine(noNul, 'must not contain NUL characters')
  .refine((value) => /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/\S*)?$/.test(value) || isOneRosterRestUrl(value), {
    message: 'must be an s3://bucket/prefix/ location, or the https base URL of a OneRoster REST service ending in /ims/oneroster/v1p1 or /ims/oneroster/rostering/v1p2',
  })
  .describe(
    '`s3://bucket/prefix/`, `s3://bucket/key.zip`, or the https base URL of a OneRoster 1.1 (`.../ims/oneroster/v1p1`) or 1.2 (`.../ims/oneroster/rostering/v1p2`) REST service; its client credentials are kept in Secrets Manager (docs/oneroster.md).',
  );

/** A rate or cron expression as EventBridge accepts it, in UTC (shared/roster/schedule.ts). */
const ScheduleExpression = z
  .string()
  .max(256)
  .superRefine((value, ctx) => {
    const problem = scheduleProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('An EventBridge rate or cron expression, in UTC: `rate(1 day)`, `cron(0 3 * * ? *)`. Null: synced by hand only.');

const DeleteRatio = z.number().min(0).max(1).describe("Overrides the deployment's ROSTER_MAX_DELETE_RATIO (0 to 1). Null: the deployment's.");

export const CreateDistrictBody = z.strictObject({
  name: text(255),
  rosterSource: optional(RosterSourceUrl),
  syncSchedule: optional(ScheduleExpression),
  maxDeleteRatio: optional(DeleteRatio),
  enabled: z.boolean().optional(),
});
export type CreateDistrictInput = z.infer<typeof CreateDistrictBody>;

/** A JSON Merge Patch (RFC 7396) of a district: `null` clears an optional field; `name` and `enabled` cannot be cleared. */
export const PatchDistrictBody = z.strictObject({
  name: text(255).optional(),
  rosterSource: optional(RosterSourceUrl),
  syncSchedule: optional(ScheduleExpression),
  maxDeleteRatio: optional(DeleteRatio),
  enabled: z.boolean().optional(),
});
export type PatchDistrictInput = z.infer<typeof PatchDistrictBody>;

export const DistrictSchema = z.object({
  districtId: z.uuid(),
  name: z.string(),
  rosterSource: z.string().nullable(),
  syncSchedule: z.string().nullable(),
  maxDeleteRatio: z.number().nullable(),
  enabled: z.boolean(),
  /** When the schedule next falls due; null when the district is not scheduled. */
  nextSyncAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}).meta({ id: 'District' });
export type DistrictDto = z.infer<typeof DistrictSchema>;

const SYNC_RUN_STATUSES = ['running', 'succeeded', 'failed', 'refused', 'skipped', 'interrupted'] as const;

export const SyncRunSchema = z.object({
  runId: z.uuid(),
  districtId: z.uuid(),
  status: z.enum(SYNC_RUN_STATUSES),
  source: z.string().nullable(),
  force: z.boolean(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
}).meta({ id: 'SyncRun' });
export type SyncRunDto = z.infer<typeof SyncRunSchema>;

export const SyncRunDetailSchema = SyncRunSchema.extend({
  /** The run's summary (docs/roster-sync.md#runs): counts, bad rows and notes; null while it runs. */
  summary: z.record(z.string(), z.unknown()).nullable(),
}).meta({ id: 'SyncRunDetail' });
export type SyncRunDetailDto = z.infer<typeof SyncRunDetailSchema>;

/** Every error body (docs/api.md#errors, RFC 9457), as shared/http/problem.ts renders it. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  /** For a 400: each bad field, by its path in the body, path parameters or query. */
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** The Lambda request id, also on every log line of the request. */
  requestId: z.string(),
}).meta({ id: 'Problem' });

/** A page of a list (docs/api.md#lists-and-pagination); `nextCursor` is null on the last page. */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}


/**
 * The sort position a cursor carries: the key of the last item of the previous page. Users sort by
 * lastName (NULLs last), firstName, userId; schools by name, schoolId. Strict, so a cursor of the other
 * kind is refused; a users cursor used on another users list only names a position in the same order.
 */
const UserCursorKey = z.strictObject({
  lastName: z.string().max(100).refine(noNul).nullable(),
  firstName: z.string().max(100).refine(noNul),
  userId: z.uuid(),
});
export type UserCursor = z.infer<typeof UserCursorKey>;

const SchoolCursorKey = z.strictObject({
  name: z.string().max(255).refine(noNul),
  schoolId: z.uuid(),
});
export type SchoolCursor = z.infer<typeof SchoolCursorKey>;

const DistrictCursorKey = z.strictObject({
  name: z.string().max(255).refine(noNul),
  districtId: z.uuid(),
});
export type DistrictCursor = z.infer<typeof DistrictCursorKey>;

/** Runs go newest first: startedAt (microseconds kept, as ISO text cannot hold them), then runId. */
const SyncRunCursorKey = z.strictObject({
  startedAt: z.string().regex(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?\+00$/),
  runId: z.uuid(),
});
export type SyncRunCursor = z.infer<typeof SyncRunCursorKey>;

const INVALID_CURSOR = 'is not a cursor this list issued';

/** An opaque cursor: base64url of the key's JSON, checked against the key's schema. */
const cursorOf = <T extends z.ZodType>(key: T) =>
  z
    .string()
    .describe("The previous page's `nextCursor`.")
    .max(1024, INVALID_CURSOR)
    .transform((raw, ctx): z.infer<T> => {
      let decoded: unknown;
      try {
        decoded = /^[\w-]+$/.test(raw) ? JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) : undefined;
      } catch {
        decoded = undefined;
      }
      const parsed = key.safeParse(decoded);
      if (!parsed.success) {
        ctx.addIssue({ code: 'custom', message: INVALID_CURSOR });
        return z.NEVER;
      }
      return parsed.data;
    });

export function encodeCursor(key: UserCursor | SchoolCursor | DistrictCursor | SyncRunCursor | { webhookId: string }): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

const Limit = z
  .string()
  .regex(/^\d{1,3}$/, 'must be an integer from 1 to 200')
  .transform(Number)
  .pipe(z.number().int().min(1, 'must be an integer from 1 to 200').max(200, 'must be an integer from 1 to 200'))
  .default(50)
  // Read from the query string as text, documented as what it means (the OpenAPI document reads `meta`).
  .meta({ description: 'Items per page, 1 to 200.', type: 'integer', minimum: 1, maximum: 200, default: 50 });

/** GET /users: `email` is a case-insensitive exact match, `q` a case-insensitive prefix of a name or email. */
export const UserListQuery = z.strictObject({
  limit: Limit,
  cursor: cursorOf(UserCursorKey).optional(),
  email: text(255).describe('Case-insensitive exact email.').optional(),
  q: text(255).describe('Case-insensitive prefix of the first name, last name or email.').optional(),
  districtId: Id.describe("Only users this district's roster holds.").optional(),
});
export type UserListInput = z.infer<typeof UserListQuery>;

/** GET /schools/{schoolId}/users. */
export const MemberListQuery = z.strictObject({
  limit: Limit,
  cursor: cursorOf(UserCursorKey).optional(),
  role: RoleSchema.describe('Only members with this role.').optional(),
});
export type MemberListInput = z.infer<typeof MemberListQuery>;

/** GET /schools and GET /users/{userId}/schools. */
export const SchoolListQuery = z.strictObject({
  limit: Limit,
  cursor: cursorOf(SchoolCursorKey).optional(),
});
export type SchoolListInput = z.infer<typeof SchoolListQuery>;

/** GET /schools. */
export const SchoolsQuery = SchoolListQuery.extend({
  districtId: Id.describe("Only the schools of this district's roster.").optional(),
});
export type SchoolsInput = z.infer<typeof SchoolsQuery>;

/** GET /districts. */
export const DistrictListQuery = z.strictObject({
  limit: Limit,
  cursor: cursorOf(DistrictCursorKey).optional(),
});
export type DistrictListInput = z.infer<typeof DistrictListQuery>;

/** GET /districts/{districtId}/syncs. */
export const SyncRunListQuery = z.strictObject({
  limit: Limit,
  cursor: cursorOf(SyncRunCursorKey).optional(),
});
export type SyncRunListInput = z.infer<typeof SyncRunListQuery>;
/** Where a walk of the change feed stands: the feed position of a commit and the id of its last event read. */
export interface FeedCursor {
  position: string;
  eventId: string;
}

const INVALID_FEED_CURSOR = 'is not a cursor the change feed issued';
const FEED_CURSOR = /^(\d{1,18})\.(\d{1,18})$/;

/** Opaque to clients: base64url of "position.eventId". */
export function encodeFeedCursor(cursor: FeedCursor): string {
  return Buffer.from(`${cursor.position}.${cursor.eventId}`, 'utf8').toString('base64url');
}

const FeedCursorParam = z
  .string()
  .describe("The previous page's `nextCursor`.")
  .max(64, INVALID_FEED_CURSOR)
  .transform((raw, ctx): FeedCursor => {
    const match = /^[\w-]+$/.test(raw) ? FEED_CURSOR.exec(Buffer.from(raw, 'base64url').toString('utf8')) : null;
    if (!match) {
      ctx.addIssue({ code: 'custom', message: INVALID_FEED_CURSOR });
      return z.NEVER;
    }
    return { position: String(BigInt(match[1])), eventId: String(BigInt(match[2])) };
  });

const FeedLimit = z
  .string()
  .regex(/^\d{1,4}$/, 'must be an integer from 1 to 1000')
  .transform(Number)
  .pipe(z.number().int().min(1, 'must be an integer from 1 to 1000').max(1000, 'must be an integer from 1 to 1000'))
  .default(100)
  .meta({ description: 'Events per page, 1 to 1000.', type: 'integer', minimum: 1, maximum: 1000, default: 100 });

/** GET /changes (docs/change-feed.md). */
export const ChangesQuery = z.strictObject({
  after: FeedCursorParam.optional(),
  limit: FeedLimit,
});

const ChangeEventSchema = z
  .object({
    id: z.string().describe('Unique, stable across retries of a webhook delivery.'),
    type: z.enum(EVENT_TYPES),
    occurredAt: z.iso.datetime().describe('When the change committed; never decreases along the feed.'),
    actor: z.object({
      kind: z.enum(ACTOR_KINDS),
      id: z.string().nullable().describe("The API caller's token issuer and subject, or the roster sync run's id."),
    }),
    entity: z.object({
      kind: z.enum(['user', 'school', 'membership']),
      id: z.uuid(),
      userId: z.uuid().nullable().optional().describe("A membership's user."),
      schoolId: z.uuid().nullable().optional().describe("A membership's school."),
    }),
    data: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('The record after the change, as the API shows it (a membership as in PUT); null for deleted and erased, and once erasure scrubbed it.'),
  })
  .meta({ id: 'ChangeEvent' });
export type ChangeEventDto = z.infer<typeof ChangeEventSchema>;

export const ChangePageSchema = z.object({
  items: z.array(ChangeEventSchema),
  nextCursor: z.string().describe('Where the next call resumes (pass it as `after`); never null, also on an empty page.'),
});
export type ChangePage = z.infer<typeof ChangePageSchema>;

/** POST /webhooks (docs/change-feed.md#webhooks): where to deliver, and which event types (all when absent). */
export const CreateWebhookBody = z.strictObject({
  url: z.url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL' }).max(2048).describe('Deployed, only https URLs to public addresses.'),
  types: z.array(z.enum(EVENT_TYPES)).min(1).max(EVENT_TYPES.length).optional().describe('Only these event types; all when absent.'),
});
export type CreateWebhookInput = z.infer<typeof CreateWebhookBody>;

export const WebhookPath = z.object({ webhookId: Id });

export const WebhookSchema = z
  .object({
    webhookId: z.uuid(),
    url: z.string(),
    types: z.array(z.enum(EVENT_TYPES)).nullable().describe('null: every type.'),
    createdAt: z.iso.datetime(),
    status: z.enum(['active', 'failing', 'disabled']).describe('`failing`: retried with backoff; `disabled`: failed past its retry window, nothing more is sent.'),
    failingSince: z.iso.datetime().nullable(),
    disabledAt: z.iso.datetime().nullable(),
    lastError: z.string().nullable().describe('Why the last delivery failed: an HTTP status, a timeout, a refused address.'),
    nextAttemptAt: z.iso.datetime(),
  })
  .meta({ id: 'Webhook' });
export type WebhookDto = z.infer<typeof WebhookSchema>;

export const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().describe('The Standard Webhooks signing secret (`whsec_...`): shown only in this answer.'),
}).meta({ id: 'CreatedWebhook' });

/** GET /webhooks: keyset by webhookId. */
export const WebhookListQuery = z.strictObject({
  limit: Limit,
  cursor: cursorOf(z.strictObject({ webhookId: z.uuid() })).optional(),
});
export type WebhookListInput = z.infer<typeof WebhookListQuery>;
