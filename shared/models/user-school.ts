import {
  DataTypes,
  Model,
  type CreationOptional,
  type ForeignKey,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';
import { LINK_SOURCES, ROLES, type LinkSource, type Role } from '../roles';

/** The through model of the two `belongsToMany` associations: one row per (user, school) membership. */
export class UserSchool extends Model<InferAttributes<UserSchool>, InferCreationAttributes<UserSchool>> {
  declare userSchoolId: CreationOptional<string>;
  declare userUserId: ForeignKey<string>;
  declare schoolSchoolId: ForeignKey<string>;
  declare role: CreationOptional<Role>;
  declare source: CreationOptional<LinkSource>;
  /** The district whose roster made the link (null for a link made through the API). */
  declare districtId: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof UserSchool {
    return UserSchool.init(
      {
        userSchoolId: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        role: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'teacher', validate: { isIn: [ROLES] } },
        source: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'api', validate: { isIn: [LINK_SOURCES] } },
        districtId: { type: DataTypes.UUID, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'user_schools', modelName: 'UserSchool' },
    );
  }
}
