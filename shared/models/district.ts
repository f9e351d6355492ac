import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/** A district (or college): one roster source, synced on its own schedule (docs/districts.md). */
export class District extends Model<InferAttributes<District>, InferCreationAttributes<District>> {
  declare districtId: CreationOptional<string>;
  declare name: string;
  declare rosterSource: CreationOptional<string | null>;
  /** A rate or cron expression as EventBridge accepts it; null: synced by hand only. */
  declare syncSchedule: CreationOptional<string | null>;
  /** Overrides ROSTER_MAX_DELETE_RATIO for this district; null: the deployment's. */
  declare maxDeleteRatio: CreationOptional<number | null>;
  declare enabled: CreationOptional<boolean>;
  /** When the schedule next falls due (the sync-dispatch function sends it then); null: not scheduled. */
  declare nextSyncAt: CreationOptional<Date | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof District {
    return District.init(
      {
        districtId: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
        name: { type: DataTypes.STRING(255), allowNull: false },
        rosterSource: { type: DataTypes.STRING(2048), allowNull: true },
        syncSchedule: { type: DataTypes.STRING(256), allowNull: true },
        maxDeleteRatio: { type: DataTypes.DOUBLE, allowNull: true },
        enabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
        nextSyncAt: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'districts', modelName: 'District' },
    );
  }
}
