import {
  DataTypes,
  Model,
  type CreationOptional,
  type ForeignKey,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/**
 * A user's identity in one district's roster: `(districtId, sourcedId)` names one user, and a user holds
 * at most one per district. `releasedAt` is set when the district's roster stops listing them; the held
 * identity with the earliest `heldSince` is the district whose roster supplies the user's fields.
 */
export class UserRosterIdentity extends Model<InferAttributes<UserRosterIdentity>, InferCreationAttributes<UserRosterIdentity>> {
  declare districtId: ForeignKey<string>;
  declare sourcedId: string;
  declare userId: ForeignKey<string>;
  declare createdAt: CreationOptional<Date>;
  declare heldSince: CreationOptional<Date>;
  declare releasedAt: CreationOptional<Date | null>;

  static initModel(sequelize: Sequelize): typeof UserRosterIdentity {
    return UserRosterIdentity.init(
      {
        districtId: { type: DataTypes.UUID, primaryKey: true },
        sourcedId: { type: DataTypes.STRING(255), primaryKey: true },
        userId: { type: DataTypes.UUID, allowNull: false },
        createdAt: DataTypes.DATE,
        heldSince: { type: DataTypes.DATE, allowNull: false, defaultValue: DataTypes.NOW },
        releasedAt: { type: DataTypes.DATE, allowNull: true },
      },
      { sequelize, tableName: 'user_roster_identities', modelName: 'UserRosterIdentity', updatedAt: false },
    );
  }
}
