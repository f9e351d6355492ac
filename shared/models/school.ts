import {
  DataTypes,
  Model,
  type BelongsToManyAddAssociationMixin,
  type BelongsToManyGetAssociationsMixin,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import type { User } from './user';
import type { UserSchool } from './user-school';

export class School extends Model<InferAttributes<School>, InferCreationAttributes<School>> {
  declare schoolId: CreationOptional<string>;
  declare name: string;
  declare code: CreationOptional<string | null>;
  declare sourcedId: CreationOptional<string | null>;
  /** The district whose roster holds this school (null: made through the API). */
  declare districtId: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare deletedAt: CreationOptional<Date | null>;

  declare schoolUsers?: NonAttribute<Array<User & { UserSchool?: UserSchool }>>;
  // The `belongsToMany` mixins (shared/models/associations.ts), as the original models' callers use them.
  declare getSchoolUsers: BelongsToManyGetAssociationsMixin<User & { UserSchool?: UserSchool }>;
  declare addSchoolUser: BelongsToManyAddAssociationMixin<User, string>;

  static initModel(sequelize: Sequelize): typeof School {
    return School.init(
      {
        schoolId: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        name: { type: DataTypes.STRING(255), allowNull: false },
        code: { type: DataTypes.STRING(64), allowNull: true },
        sourcedId: { type: DataTypes.STRING(255), allowNull: true },
        districtId: { type: DataTypes.UUID, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
        deletedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'schools', modelName: 'School', paranoid: true },
    );
  }
}
