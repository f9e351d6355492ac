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
import { LINK_SOURCES, type LinkSource } from '../roles';
import type { School } from './school';
import type { UserSchool } from './user-school';

export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare userId: CreationOptional<string>;
  declare firstName: string;
  declare lastName: CreationOptional<string | null>;
  declare email: CreationOptional<string | null>;
  declare userName: CreationOptional<string | null>;
  /** The identity of the district whose roster supplies the fields (user_roster_identities holds them all). */
  declare sourcedId: CreationOptional<string | null>;
  /** Who made the user: a user made through the API is never soft-deleted by a roster. */
  declare source: CreationOptional<LinkSource>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare deletedAt: CreationOptional<Date | null>;

  declare userSchools?: NonAttribute<Array<School & { UserSchool?: UserSchool }>>;
  // The `belongsToMany` mixins (shared/models/associations.ts), as the original models' callers use them.
  declare getUserSchools: BelongsToManyGetAssociationsMixin<School & { UserSchool?: UserSchool }>;
  declare addUserSchool: BelongsToManyAddAssociationMixin<School, string>;

  static initModel(sequelize: Sequelize): typeof User {
    return User.init(
      {
        userId: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        firstName: { type: DataTypes.STRING(100), allowNull: false },
        lastName: { type: DataTypes.STRING(100), allowNull: true },
        email: { type: DataTypes.STRING(255), allowNull: true },
        userName: { type: DataTypes.STRING(255), allowNull: true },
        sourcedId: { type: DataTypes.STRING(255), allowNull: true },
        source: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'api', validate: { isIn: [LINK_SOURCES] } },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
        deletedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'users', modelName: 'User', paranoid: true },
    );
  }
}
