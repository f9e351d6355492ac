import { DataTypes, Model, type Sequelize } from 'sequelize';
import { handler as createSchool } from '../../functions/create-school';
import { handler as createUser } from '../../functions/create-user';
import { handler as list } from '../../functions/list';
import { closeConnections } from '../../shared/db/sequelize';
import { openSequelize } from '../support/databases';
import { resetDatabase, withClient } from '../support/db';
import { invoke } from '../support/events';

/**
 * The models this service grew from, defined the plain way with only the SPEC §2 columns: code written
 * against them must keep working against the migrated schema.
 */
function defineOriginalModels(sequelize: Sequelize) {
  const User = sequelize.define(
    'User',
    {
      userId: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      firstName: DataTypes.STRING,
      lastName: DataTypes.STRING,
      email: DataTypes.STRING,
    },
    { tableName: 'users', paranoid: true },
  );
  const School = sequelize.define(
    'School',
    {
      schoolId: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      name: DataTypes.STRING,
    },
    { tableName: 'schools', paranoid: true },
  );
  const UserSchool = sequelize.define(
    'UserSchool',
    { userSchoolId: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 } },
    { tableName: 'user_schools' },
  );
  User.belongsToMany(School, { through: UserSchool, foreignKey: 'userUserId', as: 'userSchools' });
  School.belongsToMany(User, { through: UserSchool, foreignKey: 'schoolSchoolId', as: 'schoolUsers' });
  return { User, School, UserSchool };
}

type WithAssociations = Model & {
  addUserSchool(school: Model): Promise<unknown>;
  getUserSchools(): Promise<Array<Model & { get(key: string): unknown }>>;
};

let sequelize: Sequelize;
let original: ReturnType<typeof defineOriginalModels>;

beforeAll(() => {
  sequelize = openSequelize(process.env.DATABASE_URL!);
  original = defineOriginalModels(sequelize);
});
beforeEach(resetDatabase);
afterAll(async () => {
  await sequelize.close();
  await closeConnections();
});

describe('the original models against the migrated schema', () => {
  it('read users and schools created through the API', async () => {
    const user = await invoke(createUser, { route: 'POST /users', body: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org' } });
    const school = await invoke(createSchool, { route: 'POST /schools', body: { name: 'Hill Valley High' } });

    const row = await original.User.findByPk(user.body.userId);
    expect(row?.get({ plain: true })).toEqual({
      userId: user.body.userId,
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.org',
      createdAt: new Date(user.body.createdAt),
      updatedAt: new Date(user.body.updatedAt),
      deletedAt: null,
    });
    expect((await original.School.findByPk(school.body.schoolId))?.get('name')).toBe('Hill Valley High');
  });

  it('link with only the two keys, the database filling in role, source and the link id', async () => {
    const user = (await original.User.create({ firstName: 'Grace' })) as WithAssociations;
    const school = await original.School.create({ name: 'Annex' });

    await user.addUserSchool(school);

    const [schools, link] = await Promise.all([
      user.getUserSchools(),
      withClient(async (c) => (await c.query('SELECT "userSchoolId", role, source FROM user_schools')).rows),
    ]);
    expect(schools.map((s) => s.get('schoolId'))).toEqual([school.get('schoolId')]);
    expect(link).toEqual([{ userSchoolId: expect.stringMatching(/^[0-9a-f-]{36}$/), role: 'teacher', source: 'api' }]);
  });

  it('write records the API then serves', async () => {
    const user = await original.User.create({ firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.org' });

    const reply = await invoke(list, { route: 'GET /users/{userId}', pathParameters: { userId: String(user.get('userId')) } });

    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.org', userName: null });
  });
});
