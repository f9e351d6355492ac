import { httpHandler } from '../shared/http/handler';
import { created, noContent, ok } from '../shared/http/responses';
import { dispatch } from '../shared/http/router';
import { createDistrict, deleteDistrict, getDistrict, getSyncRun, listDistricts, listSyncRuns, patchDistrict } from '../shared/services/districts';

export const handler = httpHandler(
  dispatch('districts', {
    'POST /districts': async ({ body }) => {
      const district = await createDistrict(body);
      return created(`/districts/${district.districtId}`, district);
    },
    'GET /districts': async ({ query }) => ok(await listDistricts(query)),
    'GET /districts/{districtId}': async ({ params }) => ok(await getDistrict(params.districtId)),
    'PATCH /districts/{districtId}': async ({ params, body }) => ok(await patchDistrict(params.districtId, body)),
    'DELETE /districts/{districtId}': async ({ params }) => {
      await deleteDistrict(params.districtId);
      return noContent();
    },
    'GET /districts/{districtId}/syncs': async ({ params, query }) => ok(await listSyncRuns(params.districtId, query)),
    'GET /districts/{districtId}/syncs/{runId}': async ({ params }) => ok(await getSyncRun(params.districtId, params.runId)),
  }),
);
