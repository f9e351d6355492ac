import { DataTypes, type Model, type ModelStatic, type Sequelize } from 'sequelize';
import { handler as link } from '../../functions/link';
import { handler as list } from '../../functions/list';
import { closeConnections } from '../../shared/db/sequelize';
import { openSequelize } from '../support/databases';
import { resetDatabase } from '../support/db';
import { invoke } from '../support/events';
import { apiSchool, apiUser } from '../support/fixtures';

/**
 * The models this service grew from, written as their authors wrote them: plain `define` with only the
 * docs/data-model.md columns, no knowledge of this codebase, on their own Sequelize instance. What they write the
 * API must read, and what the API writes they must read.
 */
function defineOriginalModels(sequelize: Sequelize) {
  const User = sequelize.define(
    'User',
    {
      userId: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      firstName: { type: DataTypes.STRING(100), allowNull: false },
      lastName: DataTypes.STRING(100),
      email: DataTypes.STRING(255),
      userName: DataTypes.STRING(255),
      sourcedId: DataTypes.STRING(255),
    },
    { tableName: 'users', paranoid: true },
  );
  const School = sequelize.define(
    'School',
    {
      schoolId: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      name: { type: DataTypes.STRING(255), allowNull: false },
      code: DataTypes.STRING(64),
      sourcedId: DataTypes.STRING(255),
    },
    { tableName: 'schools', paranoid: true },
  );
  const UserSchool = sequelize.define(
    'UserSchool',
    {
      userSchoolId: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      role: DataTypes.STRING(32),
      source: DataTypes.STRING(16),
    },
    { tableName: 'user_schools' },
  );
  User.belongsToMany(School, { through: UserSchool, foreignKey: 'userUserId', as: 'userSchools' });
  School.belongsToMany(User, { through: UserSchool, foreignKey: 'schoolSchoolId', as: 'schoolUsers' });
  return { User, School, UserSchool };
}

type Instance = Model & Record<string, any>;

let sequelize: Sequelize;
let User: ModelStatic<Instance>;
let School: ModelStatic<Instance>;

const put = (schoolId: string, userId: string, role?: string) =>
  invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId, userId }, body: role ? { role } : undefined });
const membersOf = (schoolId: string) => invoke(list, { route: 'GET /schools/{schoolId}/users', pathParameters: { schoolId } });
const schoolsOf = (userId: string) => invoke(list, { route: 'GET /users/{userId}/schools', pathParameters: { userId } });

beforeAll(() => {
  sequelize = openSequelize(process.env.DATABASE_URL!);
  ({ User, School } = defineOriginalModels(sequelize) as unknown as { User: ModelStatic<Instance>; School: ModelStatic<Instance> });
});
beforeEach(resetDatabase);
afterAll(async () => {
  await sequelize.close();
  await closeConnections();
});

describe('the original models and the API agree', () => {
  it('the API reads users and schools the original models created', async () => {
    const user = await User.create({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org' });
    const school = await School.create({ name: 'Analytical Academy', code: 'AA' });

    const userReply = await invoke(list, { route: 'GET /users/{userId}', pathParameters: { userId: user.userId } });
    const schoolReply = await invoke(list, { route: 'GET /schools/{schoolId}', pathParameters: { schoolId: school.schoolId } });

    expect(userReply.body).toEqual({
      userId: user.userId,
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.org',
      userName: null,
      sourcedId: null,
      createdAt: user.createdAt.toISOString(),
      updatedAt: user.updatedAt.toISOString(),
    });
    expect(schoolReply.body).toEqual({
      schoolId: school.schoolId,
      name: 'Analytical Academy',
      code: 'AA',
      sourcedId: null,
      districtId: null,
      createdAt: school.createdAt.toISOString(),
      updatedAt: school.updatedAt.toISOString(),
    });
  });

  it('a link made with addUserSchool shows in both membership lists with the database defaults', async () => {
    const user = await User.create({ firstName: 'Ada', lastName: 'Lovelace' });
    const school = await School.create({ name: 'Analytical Academy' });

    await user.addUserSchool(school);

    const [through] = await sequelize.query(`SELECT "role", "source", "createdAt" FROM user_schools`, { plain: false, raw: true });
    const since = (through as Array<{ createdAt: Date }>)[0].createdAt.toISOString();
    expect((through as Array<Record<string, unknown>>)[0]).toMatchObject({ role: 'teacher', source: 'api' });
    expect((await membersOf(school.schoolId)).body.items).toEqual([
      expect.objectContaining({ userId: user.userId, firstName: 'Ada', membership: { role: 'teacher', since } }),
    ]);
    expect((await schoolsOf(user.userId)).body.items).toEqual([
      expect.objectContaining({ schoolId: school.schoolId, name: 'Analytical Academy', membership: { role: 'teacher', since } }),
    ]);
  });

  it('a link made with addSchoolUser and a role through the join table shows that role', async () => {
    const user = await User.create({ firstName: 'Grace' });
    const school = await School.create({ name: 'Navy School' });

    await school.addSchoolUser(user, { through: { role: 'guestLecturer' } });

    expect((await membersOf(school.schoolId)).body.items.map((u: any) => [u.userId, u.membership.role])).toEqual([[user.userId, 'guestLecturer']]);
  });

  it('getUserSchools and getSchoolUsers read links the API made, with their role', async () => {
    const ada = await apiUser({ firstName: 'Ada', lastName: 'Lovelace' });
    const charles = await apiUser({ firstName: 'Charles', lastName: 'Babbage' });
    const academy = await apiSchool({ name: 'Analytical Academy' });
    const babbage = await apiSchool({ name: 'Babbage High' });
    await put(academy.schoolId, ada.userId, 'principal');
    await put(babbage.schoolId, ada.userId);
    await put(academy.schoolId, charles.userId, 'aide');

    const adaModel = await User.findByPk(ada.userId);
    const academyModel = await School.findByPk(academy.schoolId);
    const adaSchools = await adaModel!.getUserSchools({ order: [['name', 'ASC']] });
    const academyUsers = await academyModel!.getSchoolUsers({ order: [['lastName', 'ASC']] });

    expect(adaSchools.map((s: Instance) => [s.schoolId, s.UserSchool.role, s.UserSchool.source])).toEqual([
      [academy.schoolId, 'principal', 'api'],
      [babbage.schoolId, 'teacher', 'api'],
    ]);
    expect(academyUsers.map((u: Instance) => [u.userId, u.UserSchool.role])).toEqual([
      [charles.userId, 'aide'],
      [ada.userId, 'principal'],
    ]);
  });

  it("include: [{ as: 'userSchools' }] and [{ as: 'schoolUsers' }] match what the API lists, both ways", async () => {
    const users = [await apiUser({ firstName: 'Ada', lastName: 'Lovelace' }), await apiUser({ firstName: 'Grace', lastName: 'Hopper' })];
    const schools = [await apiSchool({ name: 'Analytical Academy' }), await apiSchool({ name: 'Babbage High' })];
    await put(schools[0].schoolId, users[0].userId, 'principal');
    await put(schools[1].schoolId, users[0].userId, 'aide');
    await put(schools[0].schoolId, users[1].userId);
    // And one the original models add, that the API must see too.
    const hopper = await User.findByPk(users[1].userId);
    await hopper!.addUserSchool(schools[1].schoolId, { through: { role: 'guestLecturer' } });

    const withSchools = await User.findAll({ include: [{ model: School, as: 'userSchools' }] });
    const withUsers = await School.findAll({ include: [{ model: User, as: 'schoolUsers' }] });

    const fromModels = (rows: Instance[], id: string, alias: string, otherId: string) =>
      Object.fromEntries(rows.map((r) => [r[id], r[alias].map((o: Instance) => [o[otherId], o.UserSchool.role]).sort()]));
    const fromApi = async (ids: string[], fetch: (id: string) => ReturnType<typeof membersOf>, otherId: string) =>
      Object.fromEntries(await Promise.all(ids.map(async (id) => [id, (await fetch(id)).body.items.map((o: any) => [o[otherId], o.membership.role]).sort()])));

    expect(fromModels(withSchools, 'userId', 'userSchools', 'schoolId')).toEqual(await fromApi(users.map((u) => u.userId), schoolsOf, 'schoolId'));
    expect(fromModels(withUsers, 'schoolId', 'schoolUsers', 'userId')).toEqual(await fromApi(schools.map((s) => s.schoolId), membersOf, 'userId'));
    expect(fromModels(withUsers, 'schoolId', 'schoolUsers', 'userId')).toEqual({
      [schools[0].schoolId]: [[users[0].userId, 'principal'], [users[1].userId, 'teacher']].sort(),
      [schools[1].schoolId]: [[users[0].userId, 'aide'], [users[1].userId, 'guestLecturer']].sort(),
    });
  });

  it('a user the original models soft-delete leaves the API lists, and a removeUserSchool unlinks', async () => {
    const ada = await User.create({ firstName: 'Ada' });
    const grace = await User.create({ firstName: 'Grace' });
    const school = await School.create({ name: 'Analytical Academy' });
    await school.addSchoolUsers([ada, grace]);

    await ada.destroy();
    await grace.removeUserSchool(school);

    expect((await membersOf(school.schoolId)).body).toEqual({ items: [], nextCursor: null });
    expect((await invoke(list, { route: 'GET /users/{userId}', pathParameters: { userId: ada.userId } })).status).toBe(404);
    expect((await put(school.schoolId, ada.userId)).status).toBe(404);
  });
});
