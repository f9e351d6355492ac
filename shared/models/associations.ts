import type { Sequelize } from 'sequelize';
import { District } from './district';
import { School } from './school';
import { User } from './user';
import { UserRosterIdentity } from './user-roster-identity';
import { UserSchool } from './user-school';

/** Initialises the models on `sequelize` and wires both sides of the many-to-many (docs/data-model.md) and the districts (docs/districts.md). */
export function initModels(sequelize: Sequelize) {
  User.initModel(sequelize);
  School.initModel(sequelize);
  UserSchool.initModel(sequelize);
  District.initModel(sequelize);
  UserRosterIdentity.initModel(sequelize);
  User.belongsToMany(School, {
    through: UserSchool,
    foreignKey: 'userUserId',
    otherKey: 'schoolSchoolId',
    as: 'userSchools',
  });
  School.belongsToMany(User, {
    through: UserSchool,
    foreignKey: 'schoolSchoolId',
    otherKey: 'userUserId',
    as: 'schoolUsers',
  });
  District.hasMany(School, { foreignKey: 'districtId', as: 'schools' });
  School.belongsTo(District, { foreignKey: 'districtId', as: 'district' });
  User.hasMany(UserRosterIdentity, { foreignKey: 'userId', as: 'rosterIdentities' });
  UserRosterIdentity.belongsTo(User, { foreignKey: 'userId', as: 'user' });
  UserRosterIdentity.belongsTo(District, { foreignKey: 'districtId', as: 'district' });
  return { User, School, UserSchool, District, UserRosterIdentity };
}
