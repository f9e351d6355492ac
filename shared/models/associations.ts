import type { Sequelize } from 'sequelize';
import { School } from './school';
import { User } from './user';
import { UserSchool } from './user-school';

/** Initialises the three models on `sequelize` and wires both sides of the many-to-many (docs/data-model.md). */
export function initModels(sequelize: Sequelize) {
  User.initModel(sequelize);
  School.initModel(sequelize);
  UserSchool.initModel(sequelize);
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
  return { User, School, UserSchool };
}
